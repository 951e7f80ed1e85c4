import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, HearthError, type Issue } from '@hearth/bus';
import { HttpProblem } from '../problem.js';

/** One RFC 9457 problem document, as every error of the API is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  issues?: Issue[];
}

/** Fastify's own client errors, by code, with the title the API gives them. */
const fastifyTitles: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
};

/** Sends `problem` as application/problem+json. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

/**
 * The one error handler: answers `application/problem+json` (RFC 9457) carrying the
 * request id. Client errors pass through with their detail (and `issues` naming each bad
 * field); a service that does not answer is 503; server errors are logged and hidden
 * behind a generic text.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HearthError | HttpProblem | Error, req, reply) => {
    const problem = toProblem(err, req);
    if (problem.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ status: problem.status, title: problem.title, detail: problem.detail }, 'request refused');
    if (err instanceof HttpProblem && err.extra.retryAfterS !== undefined) void reply.header('retry-after', String(err.extra.retryAfterS));
    return sendProblem(reply, problem);
  });
}

function toProblem(err: FastifyError | HearthError | HttpProblem | Error, req: FastifyRequest): Problem {
  // the path only: a query may carry a token
  const base = { type: 'about:blank', instance: req.url.split('?')[0] ?? req.url, requestId: req.id };
  if (err instanceof HttpProblem) {
    return { ...base, status: err.status, title: err.title, detail: err.message, ...(err.extra.issues ? { issues: err.extra.issues } : {}) };
  }
  if (err instanceof HearthError) return fromHearthError(err, base);
  if ('validation' in err && err.validation) {
    const issues = validationIssues(err.validation);
    const where = err.validationContext ?? 'request';
    return { ...base, status: 400, title: 'INVALID_REQUEST', detail: `${where}: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`, issues };
  }
  if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
    const title = fastifyTitles[err.code] ?? (err.statusCode === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST');
    const issues = err.statusCode === 400 ? [{ path: '', message: err.message }] : undefined;
    return { ...base, status: err.statusCode, title, detail: err.message, ...(issues ? { issues } : {}) };
  }
  return { ...base, status: 500, title: 'INTERNAL', detail: 'internal error' };
}

function fromHearthError(err: HearthError, base: Omit<Problem, 'status' | 'title' | 'detail'>): Problem {
  // the bus could not reach the service (no responder, no reply at all): the service is down, not slow
  const transport = err.code === 'NO_RESPONDERS' || (err.code === 'TIMEOUT' && err.cause !== undefined) || err.code === 'UNAVAILABLE';
  if (transport) {
    return { ...base, status: 503, title: 'UNAVAILABLE', detail: `${err.message}; try again shortly` };
  }
  const status = ErrorCodes[err.code].status;
  const issues = err.details?.['issues'];
  return {
    ...base,
    status,
    title: err.code === 'KV_CONFLICT' ? 'CONFLICT' : err.code,
    detail: status >= 500 && err.code === 'INTERNAL' ? 'internal error' : err.message,
    ...(Array.isArray(issues) ? { issues: issues as Issue[] } : {}),
  };
}

interface ValidationEntry {
  instancePath: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** TypeBox's errors as one issue per field: unknown fields by name, missing ones by name. */
function validationIssues(entries: readonly ValidationEntry[]): Issue[] {
  const issues: Issue[] = [];
  for (const e of entries) {
    if (e.keyword === 'additionalProperties') continue; // each unknown field has its own entry
    if (e.schemaPath?.endsWith('/additionalProperties')) {
      issues.push({ path: e.instancePath, message: 'unknown field' });
    } else if (e.keyword === 'required' && Array.isArray(e.params?.['requiredProperties'])) {
      for (const name of e.params['requiredProperties'] as string[]) issues.push({ path: `${e.instancePath}/${name}`, message: 'is required' });
    } else {
      issues.push({ path: e.instancePath, message: e.message ?? 'invalid' });
    }
  }
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.path}\0${i.message}`) && seen.add(`${i.path}\0${i.message}`));
}
