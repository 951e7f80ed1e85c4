import { describe, expect, it } from 'vitest';
import { ApiError, describeProblem, exitCodeFor, NotLoggedInError, UnreachableError, UsageError } from './api-error.js';
import { ApiClient } from './client.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch that records the call and answers with `status` and `body`. */
function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const impl = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.push({ url: String(url), method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, ...(typeof init?.body === 'string' ? { body: init.body } : {}) });
    const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(text, { status, headers: { 'content-type': 'application/json', ...headers } });
  };
  return { fetch: impl as typeof fetch, seen };
}

describe('ApiClient', () => {
  it('sends the bearer token and a JSON body, and returns the reply', async () => {
    const { fetch, seen } = fakeFetch(201, { machine: { id: 'm-1' } });
    const client = new ApiClient('http://hearth.test', 'hth_abc', fetch);
    const outcome = await client.requestMachine({ type: 'analysis', region: 'r1' });
    expect(outcome).toEqual({ machine: { id: 'm-1' } });
    expect(seen[0]).toMatchObject({ url: 'http://hearth.test/api/v1/machines', method: 'POST', body: '{"type":"analysis","region":"r1"}' });
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer hth_abc', 'content-type': 'application/json' });
  });

  it('resolves with nothing on 204 and escapes ids in paths', async () => {
    const { fetch, seen } = fakeFetch(204, undefined);
    await expect(new ApiClient('http://h', 't', fetch).release('m/../x')).resolves.toBeUndefined();
    expect(seen[0]?.url).toBe('http://h/api/v1/machines/m%2F..%2Fx');
    expect(seen[0]?.method).toBe('DELETE');
  });

  it('sends no authorization header without a token (logging in)', async () => {
    const { fetch, seen } = fakeFetch(201, { id: 'tok-1', name: 'cli', token: 'hth_x', createdAt: 1 });
    await new ApiClient('http://h', undefined, fetch).createToken('ada', 'secret', 'cli');
    expect(seen[0]?.headers['authorization']).toBeUndefined();
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ user: 'ada', password: 'secret', name: 'cli' });
  });

  it('rejects with the problem document of an error reply', async () => {
    const problem = { type: 'about:blank', title: 'INVALID_REQUEST', status: 400, detail: 'body/minReady must be integer', requestId: 'r-9', issues: [{ path: '/minReady', message: 'must be integer' }] };
    const { fetch } = fakeFetch(400, problem);
    const err = await new ApiClient('http://h', 't', fetch).resizePool('analysis', 'sim', { minReady: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toBe(
      'resizing pool analysis on sim: INVALID_REQUEST: body/minReady must be integer [/minReady must be integer] (400, request r-9)',
    );
  });

  it('stands in for a problem document when a proxy answers with HTML', async () => {
    const { fetch } = fakeFetch(502, '<html>Bad Gateway</html>', { 'x-request-id': 'p-1' });
    const err = (await new ApiClient('http://h', 't', fetch).pools().catch((e: unknown) => e)) as ApiError;
    expect(err.problem).toMatchObject({ status: 502, detail: '<html>Bad Gateway</html>', requestId: 'p-1' });
  });

  it('says the gateway cannot be reached when the connection is refused', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    const err = await new ApiClient('http://127.0.0.1:1', 't', refused).clouds().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toBe('cannot reach the Hearth API at http://127.0.0.1:1: connection refused (is the gateway running?)');
  });
});

describe('describeProblem', () => {
  it('names the status when the title is missing and leaves out a detail that repeats it', () => {
    expect(describeProblem(404, {})).toBe('HTTP 404 (404)');
    expect(describeProblem(409, { title: 'CONFLICT', detail: 'CONFLICT' })).toBe('CONFLICT (409)');
  });
});

describe('exitCodeFor', () => {
  it('maps 401 and missing credentials to 4, 404 to 5, usage to 2, the rest to 1', () => {
    expect(exitCodeFor(new ApiError(401, {}, 'x'))).toBe(4);
    expect(exitCodeFor(new NotLoggedInError('http://h'))).toBe(4);
    expect(exitCodeFor(new ApiError(404, {}, 'x'))).toBe(5);
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new ApiError(403, {}, 'x'))).toBe(1);
    expect(exitCodeFor(new ApiError(409, {}, 'x'))).toBe(1);
  });
});
