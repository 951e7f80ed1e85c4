import type { Problem } from './types';

/** A failed API call, carrying the gateway's problem document (RFC 9457). */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
  get status(): number {
    return this.problem.status;
  }
}

const base = '/api/v1';
let csrfToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** Remembers the CSRF token the login (or `GET /me`) handed out; cookie calls that change things send it. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a call answers 401: the session ended, so the app goes back to the login page. */
export function setUnauthorizedHandler(handler: (() => void) | undefined): void {
  onUnauthorized = handler;
}

/** Turns any reply that is not 2xx into a Problem, whatever its body was. */
async function problemFrom(res: Response, method: string, path: string): Promise<Problem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body === 'object' && body !== null && typeof body.title === 'string') {
      return { ...body, title: body.title, status: body.status ?? res.status };
    }
  } catch {
    // not JSON: a proxy's error page, for example
  }
  const requestId = res.headers.get('x-request-id');
  return {
    title: res.statusText || 'ERROR',
    status: res.status,
    detail: `${method} ${path} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * Calls the REST API with the session cookie. Sends `x-csrf-token` on every method that
 * changes something, parses JSON replies, and throws ProblemError for anything not 2xx
 * (a network failure becomes a problem with status 0).
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ProblemError({ title: 'NETWORK_ERROR', status: 0, detail: `cannot reach the gateway (${(err as Error).message})` });
  }
  if (!res.ok) {
    const problem = await problemFrom(res, method, path);
    if (res.status === 401 && path !== '/auth/login') onUnauthorized?.();
    throw new ProblemError(problem);
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : undefined) as T;
}

/** A Problem for anything thrown, so every error is shown the same way. */
export function toProblem(err: unknown): Problem {
  if (err instanceof ProblemError) return err.problem;
  return { title: 'ERROR', status: 0, detail: err instanceof Error ? err.message : String(err) };
}
