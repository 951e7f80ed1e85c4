import type { FastifyError, FastifyInstance } from 'fastify';
import { ErrorCodes, HearthError } from '@hearth/bus';

/**
 * The one error handler: answers `application/problem+json` (RFC 9457) carrying the
 * request id. Client errors pass through with their detail; server errors are logged
 * and hidden behind a generic text.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HearthError | Error, req, reply) => {
    let status = 500;
    let code = 'INTERNAL';
    let detail = 'internal error';
    let extra: Record<string, unknown> = {};
    if (err instanceof HearthError) {
      status = ErrorCodes[err.code].status;
      code = err.code;
      detail = err.message;
      if (err.details?.['issues']) extra = { issues: err.details['issues'] };
    } else if ('validation' in err && err.validation) {
      status = 400;
      code = 'INVALID_REQUEST';
      detail = err.message;
      extra = { issues: err.validation.map((v) => ({ path: v.instancePath, message: v.message ?? 'invalid' })) };
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      status = err.statusCode;
      code = err.code ?? 'BAD_REQUEST';
      detail = err.message;
    }
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      if (!(err instanceof HearthError) || err.code === 'INTERNAL') detail = 'internal error';
    }
    void reply
      .status(status)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: code, status, detail, instance: req.url, requestId: req.id, ...extra });
  });
}
