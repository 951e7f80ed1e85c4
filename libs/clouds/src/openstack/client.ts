import type { Logger } from '@hearth/log';
import { InvalidSpecError } from '../errors.js';
import type { ServiceType } from './config.js';
import {
  backoffMs,
  exchange,
  faultMessage,
  OpenStackHttpError,
  pause,
  retryAfterMs,
  TransportError,
  type Method,
} from './http.js';
import { describeCatalog, KeystoneSession, selectEndpoint, type Token } from './keystone.js';
import type { OpenStackSettings } from './settings.js';

/** One API call. */
export interface ApiRequest {
  service: ServiceType;
  method: Method;
  /** Below the service's versioned base URL: `/servers/detail`, `/images`, `/networks`. */
  path: string;
  query?: Readonly<Record<string, string | number | undefined>>;
  body?: unknown;
  /**
   * Safe to send twice, so retried after a timeout, a lost connection or a 5xx. GET, PUT and
   * DELETE are by default; a POST only when it says so. A 429 is retried whatever the method:
   * the service refused it without acting on it.
   */
  idempotent?: boolean;
  signal?: AbortSignal | undefined;
}

/** Version path each service's base URL must end with; catalogs list some with it and some without. */
const versionSuffix: Readonly<Record<ServiceType, RegExp | undefined>> = {
  compute: undefined,
  image: /\/v2(\.\d+)?$/,
  network: /\/v2\.0$/,
};
const versionPath: Readonly<Record<ServiceType, string>> = { compute: '', image: '/v2', network: '/v2.0' };

/** `base` with the service's version path appended where it lacks one. */
export function versionedBase(service: ServiceType, base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  const suffix = versionSuffix[service];
  return suffix === undefined || suffix.test(trimmed) ? trimmed : `${trimmed}${versionPath[service]}`;
}

function withQuery(path: string, query: ApiRequest['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Our thin OpenStack client: a Keystone session, endpoints from its catalog (or the config's
 * overrides), the compute microversion on every Nova call, a timeout on every attempt,
 * retries with backoff where they can help, and one re-authentication on a 401.
 * Rejects with OpenStackHttpError (an answer outside 2xx) or TransportError (no answer).
 */
export class OpenStackClient {
  readonly session: KeystoneSession;

  constructor(
    readonly settings: OpenStackSettings,
    readonly log: Logger,
    now?: () => number,
  ) {
    const { requestTimeoutMs: timeoutMs, retries } = settings;
    this.session = new KeystoneSession(settings.credentials, { timeoutMs, retries, log, ...(now ? { now } : {}) });
  }

  /** The project the token is scoped to (owner of what this driver makes). */
  async projectId(signal?: AbortSignal): Promise<string> {
    return (await this.session.token(signal)).projectId;
  }

  /** Sends `req` and returns its JSON body (undefined for an empty one). */
  async request<T>(req: ApiRequest): Promise<T | undefined> {
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const path = withQuery(req.path, req.query);
    let reauthenticated = false;
    for (let attempt = 0; ; ) {
      const token = await this.session.token(req.signal);
      const url = `${this.#baseUrl(req.service, token)}${path}`;
      const started = Date.now();
      let retryAfter: number | undefined;
      try {
        const init = { method: req.method, path, headers: this.#headers(req, token), ...this.#body(req) };
        const answer = await exchange(url, init, this.settings.requestTimeoutMs, req.signal);
        const { status } = answer;
        this.log.debug({ cloud: this.settings.name, method: req.method, path, status, ms: Date.now() - started }, 'openstack call');
        if (status >= 200 && status < 300) return answer.text.trim() ? (JSON.parse(answer.text) as T) : undefined;
        if (status === 401 && !reauthenticated) {
          // the token was revoked or expired early: one new token, then the answer stands
          this.session.invalidate(token);
          reauthenticated = true;
          continue;
        }
        retryAfter = retryAfterMs(answer.headers.get('retry-after'));
        const err = new OpenStackHttpError(req.method, path, status, faultMessage(answer.text), retryAfter);
        if (!retryable(status, idempotent, err.fault) || attempt >= this.settings.retries) throw err;
      } catch (err) {
        const resendable = err instanceof TransportError && err.kind !== 'aborted' && idempotent;
        if (!resendable || attempt >= this.settings.retries) throw err;
      }
      this.log.debug({ cloud: this.settings.name, method: req.method, path, attempt }, 'openstack call retried');
      await pause(backoffMs(attempt, retryAfter), req.signal, req.method, path);
      attempt += 1;
    }
  }

  #headers(req: ApiRequest, token: Token): Record<string, string> {
    const headers: Record<string, string> = {
      'X-Auth-Token': token.value,
      Accept: 'application/json',
      'User-Agent': 'hearth-openstack',
    };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    if (req.service === 'compute') {
      headers['OpenStack-API-Version'] = `compute ${this.settings.computeMicroversion}`;
      headers['X-OpenStack-Nova-API-Version'] = this.settings.computeMicroversion;
    }
    return headers;
  }

  #body(req: ApiRequest): { body?: string } {
    return req.body === undefined ? {} : { body: JSON.stringify(req.body) };
  }

  #baseUrl(service: ServiceType, token: Token): string {
    const { endpoints, interface: iface, regionName } = this.settings;
    const base = endpoints[service] ?? selectEndpoint(token.catalog, service, iface, regionName);
    if (base === undefined) {
      const where = regionName ? ` in region ${regionName}` : '';
      const offers = describeCatalog(token.catalog, service);
      const what = `no ${iface} ${service} endpoint${where} in the catalog of ${this.settings.source}; ${offers}`;
      throw new InvalidSpecError(this.settings.name, what);
    }
    return versionedBase(service, base);
  }
}

/** Whether an answer with `status` is worth sending again. */
function retryable(status: number, idempotent: boolean, fault: string): boolean {
  if (status === 429) return true;
  // old Nova rate limits answered 413 with Retry-After; a 413 about quota never clears by waiting
  if (status === 413) return !/quota/i.test(fault);
  return idempotent && (status === 500 || status === 502 || status === 503 || status === 504);
}
