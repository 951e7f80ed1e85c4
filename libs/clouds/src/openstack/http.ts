/** HTTP methods the driver uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An OpenStack API answered outside 2xx; `fault` is the service's own message, never a token. */
export class OpenStackHttpError extends Error {
  constructor(
    readonly method: Method,
    /** Path and query, never the host: what was asked, for logs. */
    readonly path: string,
    readonly status: number,
    readonly fault: string,
    /** From Retry-After, when the service sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`${method} ${path}: ${status} ${fault}`);
    this.name = 'OpenStackHttpError';
  }
}

/** The request never got an HTTP answer: the caller's signal, the timeout, or the network. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'aborted' | 'timeout' | 'network',
    readonly method: Method,
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${method} ${path}: ${message}`, options);
    this.name = 'TransportError';
  }
}

/** How long to keep reading an error body: the fault text is at the start. */
const maxFaultChars = 500;

/**
 * The service's message from an error body. Nova and Cinder wrap it as `{"<kind>": {"message",
 * "code"}}`, Neutron as `{"NeutronError": {"message", "type"}}`, Keystone as `{"error":
 * {"message"}}`; Glance answers HTML or plain text.
 */
export function faultMessage(body: string): string {
  const text = body.trim();
  try {
    const doc: unknown = JSON.parse(text);
    const message = findMessage(doc);
    if (message) return message.slice(0, maxFaultChars);
  } catch {
    // not JSON: Glance and proxies answer HTML or text
  }
  const plain = text.replace(/<title>.*?<\/title>/is, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.slice(0, maxFaultChars) || '(no message)';
}

function findMessage(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const record = doc as Record<string, unknown>;
  if (typeof record['message'] === 'string') return record['message'];
  for (const value of Object.values(record)) {
    if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['message'] === 'string') {
      return (value as Record<string, string>)['message'];
    }
  }
  return undefined;
}

/** Retry-After in milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The longest pause between two attempts, whatever Retry-After asks: waiting belongs to the engine. */
export const maxBackoffMs = 5_000;

/** Exponential backoff with full jitter from 250 ms, or Retry-After, capped at maxBackoffMs. */
export function backoffMs(attempt: number, retryAfter: number | undefined, random = Math.random): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, maxBackoffMs);
  return Math.min(maxBackoffMs, 250 * 2 ** attempt) * (0.5 + random() / 2);
}

/** Sleeps `ms`, rejecting with a TransportError('aborted') as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal | undefined, method: Method, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TransportError('aborted', method, path, 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new TransportError('aborted', method, path, 'aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One attempt's answer: status, headers and the body as text. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP exchange with Node's fetch, within `timeoutMs` and the caller's `signal`. The body
 * is read inside the same deadline. Rejects only with a TransportError.
 */
export async function exchange(
  url: string,
  init: { method: Method; path: string; headers: Record<string, string>; body?: string },
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  const { method, path } = init;
  if (signal?.aborted) throw new TransportError('aborted', method, path, 'aborted', { cause: signal.reason });
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const res = await fetch(url, {
      method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: combined,
      redirect: 'follow',
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    if (signal?.aborted) throw new TransportError('aborted', method, path, 'aborted', { cause: err });
    if (timeout.aborted) throw new TransportError('timeout', method, path, `no answer within ${timeoutMs} ms`, { cause: err });
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message;
    throw new TransportError('network', method, path, `cannot reach the API${why ? ` (${why})` : ''}`, { cause: err });
  }
}
