import type { Logger } from '@hearth/log';
import type { EndpointInterface } from './config.js';
import { backoffMs, exchange, faultMessage, OpenStackHttpError, pause, retryAfterMs, TransportError } from './http.js';
import type { Credentials, Named } from './settings.js';

/** One endpoint of a catalog service (Keystone v3 token body). */
export interface CatalogEndpoint {
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

/** One service of the catalog. */
export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

/** A project-scoped token; `value` is a secret and is never logged. */
export interface Token {
  value: string;
  issuedAt: number;
  expiresAt: number;
  projectId: string;
  catalog: CatalogService[];
}

/**
 * The base URL of service `type` from the catalog: the endpoint of `iface` in `region`
 * (matched against region_id and the older region), or the first of `iface` when no region
 * is set. Undefined when there is none.
 */
export function selectEndpoint(
  catalog: readonly CatalogService[],
  type: string,
  iface: EndpointInterface,
  region: string | undefined,
): string | undefined {
  for (const service of catalog) {
    if (service.type !== type) continue;
    const endpoint = service.endpoints.find(
      (e) => e.interface === iface && (region === undefined || e.region_id === region || e.region === region),
    );
    if (endpoint) return endpoint.url;
  }
  return undefined;
}

/** What the catalog offers for `type`, for the error when selectEndpoint found nothing. */
export function describeCatalog(catalog: readonly CatalogService[], type: string): string {
  const offers = catalog
    .filter((s) => s.type === type)
    .flatMap((s) => s.endpoints.map((e) => `${e.interface} in ${e.region_id ?? e.region ?? 'no region'}`));
  return offers.length ? `it has ${type} ${offers.join(', ')}` : `it has no ${type} service at all`;
}

function identityOf(named: Named): Record<string, unknown> {
  return 'id' in named ? { id: named.id } : { name: named.name, domain: named.domain };
}

/** POST /v3/auth/tokens request body (Keystone v3: password with project scope, or an application credential). */
export function authBody(credentials: Credentials): unknown {
  if (credentials.method === 'password') {
    return {
      auth: {
        identity: { methods: ['password'], password: { user: { ...identityOf(credentials.user), password: credentials.password } } },
        scope: { project: identityOf(credentials.project) },
      },
    };
  }
  const credential =
    'id' in credentials
      ? { id: credentials.id, secret: credentials.secret }
      : { name: credentials.name, secret: credentials.secret, user: identityOf(credentials.user) };
  // an application credential is bound to its project: no scope may be given
  return { auth: { identity: { methods: ['application_credential'], application_credential: credential } } };
}

/** `https://keystone/` or `https://keystone/v3/` → `https://keystone/v3/auth/tokens`. */
export function tokensUrl(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`;
}

interface TokenBody {
  token?: { expires_at?: string; issued_at?: string; project?: { id?: string }; catalog?: CatalogService[] };
}

/** Options of a KeystoneSession. */
export interface SessionOptions {
  timeoutMs: number;
  retries: number;
  log: Logger;
  /** The clock; tests move it to check renewal. */
  now?: () => number;
}

/**
 * A project-scoped Keystone v3 token, issued on first use, shared by every call, and issued
 * again shortly before it expires (five minutes, or half its lifetime when shorter) or when
 * a service refused it (invalidate). Concurrent callers share one issue request.
 */
export class KeystoneSession {
  #token: Token | undefined;
  #pending: Promise<Token> | undefined;
  readonly #now: () => number;

  constructor(
    readonly credentials: Credentials,
    readonly opts: SessionOptions,
  ) {
    this.#now = opts.now ?? Date.now;
  }

  /** A valid token, cached or newly issued. @throws OpenStackHttpError (401: credentials refused) | TransportError */
  async token(signal?: AbortSignal): Promise<Token> {
    const cached = this.#token;
    if (cached && !this.#expiring(cached)) return cached;
    // the shared request runs without the caller's signal: one caller giving up must not fail the others
    this.#pending ??= this.#issue().finally(() => (this.#pending = undefined));
    return raceAbort(this.#pending, signal);
  }

  /** Forgets `token` after a service answered 401 with it, so the next call issues a new one. */
  invalidate(token: Token): void {
    if (this.#token === token) this.#token = undefined;
  }

  #expiring(token: Token): boolean {
    const margin = Math.min(5 * 60_000, (token.expiresAt - token.issuedAt) / 2);
    return this.#now() >= token.expiresAt - margin;
  }

  async #issue(): Promise<Token> {
    const url = tokensUrl(this.credentials.authUrl);
    const path = '/v3/auth/tokens';
    const body = JSON.stringify(authBody(this.credentials));
    for (let attempt = 0; ; attempt++) {
      let retryAfter: number | undefined;
      try {
        // Keystone: POST /v3/auth/tokens
        const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
        const answer = await exchange(url, { method: 'POST', path, headers, body }, this.opts.timeoutMs, undefined);
        if (answer.status === 201 || answer.status === 200) return (this.#token = this.#parse(answer.headers, answer.text));
        retryAfter = retryAfterMs(answer.headers.get('retry-after'));
        const err = new OpenStackHttpError('POST', path, answer.status, faultMessage(answer.text), retryAfter);
        // issuing a token changes nothing: worth another try when Keystone is busy or failing
        if (!(answer.status === 429 || answer.status >= 500) || attempt >= this.opts.retries) throw err;
      } catch (err) {
        if (!(err instanceof TransportError) || attempt >= this.opts.retries) throw err;
      }
      this.opts.log.debug({ attempt }, 'keystone token request retried');
      await pause(backoffMs(attempt, retryAfter), undefined, 'POST', path);
    }
  }

  #parse(headers: Headers, text: string): Token {
    const value = headers.get('x-subject-token');
    const token = (JSON.parse(text) as TokenBody).token;
    const expiresAt = Date.parse(token?.expires_at ?? '');
    if (!value || !token || Number.isNaN(expiresAt)) {
      throw new OpenStackHttpError('POST', '/v3/auth/tokens', 502, 'Keystone answered without a token or its expiry');
    }
    if (!token.project?.id || !token.catalog) {
      throw new OpenStackHttpError('POST', '/v3/auth/tokens', 401, 'Keystone issued a token without a project scope or catalog');
    }
    const issuedAt = Date.parse(token.issued_at ?? '');
    const now = this.#now();
    // measure lifetime by our clock: the server's clock may differ from ours
    const lifetime = expiresAt - (Number.isNaN(issuedAt) ? now : issuedAt);
    return { value, issuedAt: now, expiresAt: now + lifetime, projectId: token.project.id, catalog: token.catalog };
  }
}

/** `promise`, or a TransportError('aborted') as soon as `signal` aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const aborted = (): TransportError =>
    new TransportError('aborted', 'POST', '/v3/auth/tokens', 'aborted', { cause: signal.reason });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
