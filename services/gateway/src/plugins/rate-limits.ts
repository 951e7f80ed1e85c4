import { HearthError, type TypedKv } from '@hearth/bus';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoginAttempts } from '../accounts/records.js';

/** A request limit: at most `max` in `windowMs`. */
export interface Limit {
  max: number;
  windowMs: number;
}

/** Counts one call against `key`; resolves with the seconds to wait when over the limit, else undefined. */
export type LimitCheck = (req: FastifyRequest, key: string) => Promise<number | undefined>;

/**
 * A limiter on @fastify/rate-limit's store (LRU-bounded, so a flood of keys cannot grow it
 * without end), keyed by what the caller names: an account, an address, a credential.
 * Counts are per gateway instance: for API calls, where the limit guards a gateway's own
 * capacity (sign-ins use `sharedLimiter`).
 */
export function limiter(app: FastifyInstance, limit: Limit): LimitCheck {
  const keys = new WeakMap<FastifyRequest, string>();
  const check = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs, keyGenerator: (req) => keys.get(req) ?? req.ip });
  return async (req, key) => {
    keys.set(req, key);
    const result = await check(req);
    return !result.isAllowed && result.isExceeded ? Math.max(1, Math.ceil(result.ttl / 1000)) : undefined;
  };
}

/** Compare-and-set attempts before a count gives up (each lost race means another gateway counted first). */
const sharedAttempts = 10;

/**
 * A limiter whose counts every gateway shares, in a KV bucket: a fixed window per key that
 * begins with its first call, one compare-and-set per counted call. For sign-in attempts,
 * where a count per gateway would give N gateways N times the guesses; a password check
 * costs far more than the two KV round trips. A call over the limit writes nothing.
 * @throws HearthError (from KV) when the count cannot be read or written: a sign-in is then
 * refused rather than let through uncounted
 */
export function sharedLimiter(kv: TypedKv<typeof LoginAttempts>, limit: Limit): LimitCheck {
  return async (_req, key) => {
    // KV keys allow letters, digits, - _ = / . only; an address may hold ':' and a name anything
    const kvKey = Buffer.from(key).toString('base64url');
    for (let attempt = 0; attempt < sharedAttempts; attempt++) {
      const held = await kv.get(kvKey);
      const t = Date.now();
      const current = held && t < held.value.windowStart + limit.windowMs ? held.value : undefined;
      if (current && current.count >= limit.max) return Math.max(1, Math.ceil((current.windowStart + limit.windowMs - t) / 1000));
      const next = current ? { windowStart: current.windowStart, count: current.count + 1 } : { windowStart: t, count: 1 };
      try {
        if (held) await kv.update(kvKey, next, held.revision);
        else await kv.create(kvKey, next);
        return undefined;
      } catch (err) {
        // another gateway counted first: count again on what it wrote
        if (!(err instanceof HearthError) || err.code !== 'KV_CONFLICT') throw err;
      }
    }
    throw new HearthError('UNAVAILABLE', `counting sign-in attempts: still contended after ${sharedAttempts} tries`);
  };
}
