import type { Issue } from '@hearth/bus';

/** Titles of the problems the gateway itself answers with (bus errors keep their own codes). */
export const ProblemTitle = {
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  InvalidRequest: 'INVALID_REQUEST',
  TooManyRequests: 'RATE_LIMITED',
  Unavailable: 'UNAVAILABLE',
  Timeout: 'TIMEOUT',
  UpgradeRequired: 'UPGRADE_REQUIRED',
} as const;
export type ProblemTitle = (typeof ProblemTitle)[keyof typeof ProblemTitle];

/**
 * An HTTP answer the gateway decides on its own (no credentials, wrong role, rate limited):
 * the error handler turns it into a problem document with this status and title.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: ProblemTitle,
    message: string,
    readonly extra: { issues?: Issue[]; retryAfterS?: number } = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

export const unauthorized = (detail = 'sign in first: a session cookie or an API token is needed'): HttpProblem =>
  new HttpProblem(401, ProblemTitle.Unauthorized, detail);
export const forbidden = (detail: string): HttpProblem => new HttpProblem(403, ProblemTitle.Forbidden, detail);
export const notFound = (detail: string): HttpProblem => new HttpProblem(404, ProblemTitle.NotFound, detail);
export const invalid = (path: string, message: string, detail = `${path}: ${message}`): HttpProblem =>
  new HttpProblem(400, ProblemTitle.InvalidRequest, detail, { issues: [{ path, message }] });
export const tooMany = (retryAfterS: number, detail: string): HttpProblem =>
  new HttpProblem(429, ProblemTitle.TooManyRequests, detail, { retryAfterS });
