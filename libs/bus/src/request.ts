import { headers as natsHeaders, errors as natsErrors, nuid, type Msg } from '@nats-io/transport-node';
import { formatPath, schemaIssues } from '@hearth/config';
import type { TSchema } from 'typebox';
import { api, type ApiSubject, type RequestOf, type ResponseOf } from './api.js';
import type { Bus } from './connect.js';
import { requestIdHeader } from './endpoint.js';
import { fromEnvelope, HearthError } from './errors.js';
import { ErrorEnvelope } from './schemas/common.js';

export interface RequestOptions {
  /** How long to wait for the reply; 5 s unless said otherwise. */
  timeoutMs?: number;
  /** Carried to the callee's logs; a new one is made when absent. */
  requestId?: string;
  /**
   * While nobody listens, send again (50 ms, doubling to 400 ms) for up to this long before
   * NO_RESPONDERS: rides over a replica handing over to another. Safe for any request, as
   * an unheard one was delivered to nobody. Defaults to the bus's `waitForResponderMs`; 0
   * fails at once.
   */
  waitForResponderMs?: number;
}

/**
 * Sends a request and returns the callee's validated reply.
 * @throws HearthError with the callee's code when it answered with an error envelope,
 *   NO_RESPONDERS at once when no instance listens, TIMEOUT after timeoutMs,
 *   INVALID_REQUEST (before sending) when `body` does not match the subject's schema.
 */
export async function request<S extends ApiSubject>(
  bus: Bus,
  subject: S,
  body: RequestOf<S>,
  opts: RequestOptions = {},
): Promise<ResponseOf<S>> {
  const { request: requestSchema, response: responseSchema } = api[subject];
  check(requestSchema, body, subject, 'INVALID_REQUEST', 'request');
  const h = natsHeaders();
  h.set(requestIdHeader, opts.requestId ?? nuid.next());
  const timeout = opts.timeoutMs ?? 5_000;
  const payload = JSON.stringify(body);
  const giveUpAt = performance.now() + (opts.waitForResponderMs ?? bus.waitForResponderMs);
  let msg: Msg;
  for (let pause = 50; ; pause = Math.min(pause * 2, 400)) {
    try {
      msg = await bus.nc.request(subject, payload, { timeout, headers: h });
      break;
    } catch (err) {
      const left = giveUpAt - performance.now();
      if (!isNoResponders(err) || left <= 0) throw transportError(err, subject, timeout);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }
  return decodeReply(msg, subject, responseSchema) as ResponseOf<S>;
}

/**
 * Scatter-gather: sends once and collects every reply until none arrives for `stallMs`
 * (or `maxWaitMs` passes). Replies that fail their schema are dropped, not thrown.
 */
export async function collect<S extends ApiSubject>(
  bus: Bus,
  subject: S,
  body: RequestOf<S>,
  opts: { maxWaitMs?: number; stallMs?: number; requestId?: string } = {},
): Promise<ResponseOf<S>[]> {
  const { request: requestSchema, response: responseSchema } = api[subject];
  check(requestSchema, body, subject, 'INVALID_REQUEST', 'request');
  const replies: ResponseOf<S>[] = [];
  const h = natsHeaders();
  h.set(requestIdHeader, opts.requestId ?? nuid.next());
  try {
    const iter = await bus.nc.requestMany(subject, JSON.stringify(body), {
      headers: h,
      strategy: 'stall',
      maxWait: opts.maxWaitMs ?? 1_000,
      stall: opts.stallMs ?? 200,
    });
    for await (const msg of iter) {
      try {
        replies.push(decodeReply(msg, subject, responseSchema) as ResponseOf<S>);
      } catch {
        // one bad or failed instance must not hide the answers of the others
      }
    }
  } catch (err) {
    if (!isNoResponders(err)) throw transportError(err, subject, opts.maxWaitMs ?? 1_000);
  }
  return replies;
}

function decodeReply(msg: Msg, subject: string, schema: TSchema): unknown {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(msg.data));
  } catch (err) {
    throw new HearthError('INTERNAL', `reply on ${subject} is not valid JSON`, { subject }, { cause: err });
  }
  if (msg.headers?.has('Nats-Service-Error-Code')) {
    if (schemaIssues(ErrorEnvelope, value).length > 0) {
      throw new HearthError('INTERNAL', `error reply on ${subject}: ${msg.headers.get('Nats-Service-Error')}`, { subject });
    }
    throw fromEnvelope(value as ErrorEnvelope, subject);
  }
  check(schema, value, subject, 'INTERNAL', 'reply');
  return value;
}

function check(
  schema: TSchema,
  value: unknown,
  subject: string,
  code: 'INVALID_REQUEST' | 'INTERNAL',
  what: string,
): void {
  const issues = schemaIssues(schema, value);
  if (issues.length === 0) return;
  const list = issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  throw new HearthError(
    code,
    `${what} on ${subject} does not match its schema: ${list.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
    { issues: list, subject },
  );
}

function isNoResponders(err: unknown): boolean {
  return err instanceof natsErrors.NoRespondersError || hasCause(err, natsErrors.NoRespondersError);
}

function transportError(err: unknown, subject: string, timeoutMs: number): HearthError {
  if (isNoResponders(err)) {
    return new HearthError('NO_RESPONDERS', `no service answers ${subject}`, { subject }, { cause: err });
  }
  if (err instanceof natsErrors.TimeoutError || hasCause(err, natsErrors.TimeoutError)) {
    return new HearthError('TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms`, { subject }, { cause: err });
  }
  return new HearthError('UNAVAILABLE', `requesting ${subject}: ${(err as Error).message}`, { subject }, { cause: err });
}

function hasCause(err: unknown, type: abstract new (...args: never[]) => Error): boolean {
  return err instanceof Error && err.cause instanceof type;
}
