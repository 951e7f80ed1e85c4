import type { ErrorEnvelope } from './schemas/common.js';

/**
 * Every stable error code a Hearth request can answer with. Codes never change meaning;
 * new ones are added here and in docs/errors.md. `status` is the HTTP status the gateway maps it to.
 */
export const ErrorCodes = {
  INVALID_REQUEST: { status: 400, text: 'the request does not match its schema; details.issues names each bad field' },
  NOT_FOUND: { status: 404, text: 'the named thing does not exist (or is not yours)' },
  CONFLICT: { status: 409, text: 'the state changed under the request; read again and retry' },
  KV_CONFLICT: { status: 409, text: 'a compare-and-set lost against a newer revision' },
  CONFIG_INVALID: { status: 500, text: 'the configuration is invalid; details.issues lists each problem' },
  TIMEOUT: { status: 504, text: 'the service did not answer in time' },
  NO_RESPONDERS: { status: 503, text: 'no instance of the service is running' },
  UNAVAILABLE: { status: 503, text: 'a dependency (NATS, a cloud) cannot be reached right now' },
  INTERNAL: { status: 500, text: 'an unexpected failure; the service log has the request id' },
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * The base of every error that crosses a service boundary. It travels as the error
 * envelope (`code`, `message`, `details`) so a caller knows at once that the callee failed.
 */
export class HearthError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HearthError';
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ErrorCodes, code);
}

/** The envelope for any thrown value; unknown errors become INTERNAL without leaking their text. */
export function toEnvelope(err: unknown): ErrorEnvelope {
  if (err instanceof HearthError) {
    return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}

/** The error a caller throws for an envelope it received. */
export function fromEnvelope(envelope: ErrorEnvelope, subject: string): HearthError {
  const code = isErrorCode(envelope.code) ? envelope.code : 'INTERNAL';
  return new HearthError(code, envelope.message, { ...envelope.details, subject });
}
