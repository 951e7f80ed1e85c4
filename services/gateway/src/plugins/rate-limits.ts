import type { FastifyInstance, FastifyRequest } from 'fastify';

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
 * Counts are per gateway instance.
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
