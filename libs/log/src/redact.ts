/**
 * Keys whose values never reach a log line, at any depth of what is logged: secrets travel in
 * config objects, request bodies and headers. `pass` is the NATS password (`nats.pass`),
 * `cookie` a session cookie in logged headers.
 */
export const secretKeys: readonly string[] = ['password', 'pass', 'token', 'secret', 'privateKey', 'credentials', 'authorization', 'cookie'];

export const censor = '[redacted]';

const secret = new Set(secretKeys);
/** Any secret key as a JSON object key. Most lines have none: they are written as they are. */
const mayHoldSecret = new RegExp(`"(?:${secretKeys.join('|')})":`);

/**
 * A finished log line (one JSON object and its newline) with every secret key's value
 * replaced by `[redacted]`. It works on the line as written, after serializers and with the
 * child logger's bindings, so nothing logged escapes it; and it costs one regular-expression
 * test on a line without secrets, which is nearly every line (pino's path-based redaction
 * copied every logged object on every line, a quarter of the gateway's allocation per request).
 */
export function redactLine(line: string): string {
  if (!mayHoldSecret.test(line)) return line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // not one JSON object (pino writes nothing else): better no line than a secret
    return `${JSON.stringify({ level: 'error', msg: 'log line withheld: it may hold a secret and is not JSON' })}\n`;
  }
  return `${JSON.stringify(redactValue(value))}\n`;
}

/** `value` with every secret key's value censored, at any depth; the original is not changed. */
export function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = secret.has(key) && v !== undefined ? censor : redactValue(v);
  return out;
}
