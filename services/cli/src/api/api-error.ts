import type { Problem } from './types.js';

/** Exit codes of the API verbs (docs/cli.md). */
export const ExitCode = { Ok: 0, Error: 1, Usage: 2, NotLoggedIn: 4, NotFound: 5 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The gateway answered with an error status; `problem` is its problem document (or what stood in for one). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    what: string,
    /** The gateway that answered, for hints such as how to log in again. */
    readonly url?: string,
  ) {
    super(`${what}: ${describeProblem(status, problem)}`);
    this.name = 'ApiError';
  }
}

/** No credentials for the API: nothing stored for this address, and no HEARTH_TOKEN. */
export class NotLoggedInError extends Error {
  constructor(url: string | undefined) {
    super(
      url
        ? `not logged in to ${url}; run: hearth login --url ${url} --user NAME`
        : 'not logged in; run: hearth login --url URL --user NAME (or set HEARTH_URL and HEARTH_TOKEN)',
    );
    this.name = 'NotLoggedInError';
  }
}

/** The gateway could not be reached at all (refused, DNS, TLS, timeout). */
export class UnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach the Hearth API at ${url}: ${causeText(cause)}`, { cause });
    this.name = 'UnreachableError';
  }
}

/** A verb could not do what was asked, for a reason stated in its message (exit code 1). */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** Input the CLI refuses before calling the API (a key file that is not a key, a password it cannot ask for). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One line: `NOT_FOUND: no machine m-1 (404, request 3f…); body/type: must be string`. */
export function describeProblem(status: number, problem: Problem): string {
  const title = problem.title && problem.title !== 'about:blank' ? problem.title : `HTTP ${status}`;
  const detail = problem.detail && problem.detail !== problem.title ? `: ${problem.detail}` : '';
  const issues = (problem.issues ?? []).map((i) => `${i.path || '(body)'} ${i.message}`).join('; ');
  const ref = problem.requestId ? `${status}, request ${problem.requestId}` : `${status}`;
  return `${title}${detail}${issues ? ` [${issues}]` : ''} (${ref})`;
}

/** The exit code for an error from an API verb. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof NotLoggedInError) return ExitCode.NotLoggedIn;
  if (err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof ApiError) {
    if (err.status === 401) return ExitCode.NotLoggedIn;
    if (err.status === 404) return ExitCode.NotFound;
  }
  return ExitCode.Error;
}

function causeText(cause: unknown): string {
  // fetch wraps the socket error: "fetch failed" with the real reason in cause
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (inner?.code) return inner.code === 'ECONNREFUSED' ? 'connection refused (is the gateway running?)' : `${inner.code} ${inner.message ?? ''}`.trim();
  return cause instanceof Error ? cause.message : String(cause);
}
