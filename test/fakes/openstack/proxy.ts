import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mutateServers, type ServerOverride } from './rewrite.js';

/** One call that went through the proxy. */
export interface RecordedCall {
  method: string;
  /** Path and query below the upstream origin, e.g. `/v2.1/servers/detail?tags=…`. */
  path: string;
  /** Upstream port: 5000 Keystone, 8774 Nova, 9292 Glance, 9696 Neutron. */
  port: number;
  status: number;
}

/** An armed fault: the next `times` calls that match get `answer` instead of reaching the cloud. */
export interface FaultRule {
  method?: string;
  /** Tested against the upstream path (with query). */
  path: RegExp;
  times: number;
  answer?: { status: number; body: unknown; headers?: Record<string, string> };
  /** Delay before the call goes on (or is answered). */
  delayMs?: number;
}

/** The kinds of launch failure a real cloud will not produce on demand. */
export type LaunchFault = 'quota' | 'capacity' | 'unavailable' | 'throttled';

/** Nova's own bodies for these failures (nova/api/openstack/wsgi.py Fault, as Zed words them). */
export const launchFaultAnswers: Readonly<Record<LaunchFault, NonNullable<FaultRule['answer']>>> = {
  quota: {
    status: 403,
    body: { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 50 of 50 instances' } },
  },
  capacity: {
    status: 500,
    body: { computeFault: { code: 500, message: 'No valid host was found. There are not enough hosts available.' } },
  },
  unavailable: {
    status: 503,
    body: { computeFault: { code: 503, message: 'Service Unavailable: nova-api is restarting' } },
    headers: { 'Retry-After': '0' },
  },
  throttled: {
    status: 429,
    body: { overLimit: { code: 429, message: 'This request was rate-limited.' } },
    headers: { 'Retry-After': '0' },
  },
};

/**
 * A fault-injecting HTTP proxy in front of a real OpenStack. Every upstream origin is reached
 * at `<proxy>/u/<host>/<port>/<path>`, and the catalog in each token Keystone issues is
 * rewritten to point there, so the shipped driver, given `authUrl`, sends everything through
 * here. Calls pass through untouched until a fault is armed; `reset()` disarms them all.
 */
export class OpenStackProxy {
  readonly calls: RecordedCall[] = [];
  #rules: FaultRule[] = [];
  #servers = new Map<string, ServerOverride>();
  #base = '';
  readonly #server = createServer((req, res) => void this.#handle(req, res));

  private constructor(readonly upstreamHost: string) {}

  /** Starts a proxy on a free loopback port. */
  static async start(upstreamHost = '127.0.0.1'): Promise<OpenStackProxy> {
    const proxy = new OpenStackProxy(upstreamHost);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.#base = `http://127.0.0.1:${(proxy.#server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** The proxy's URL for an upstream URL (`http://127.0.0.1:5000/v3` → `http://127.0.0.1:P/u/127.0.0.1/5000/v3`). */
  via(upstream: string): string {
    const url = new URL(upstream);
    return `${this.#base}/u/${url.hostname}/${url.port || '80'}${url.pathname.replace(/\/$/, '')}`;
  }

  /** Arms a fault; see FaultRule. */
  arm(rule: FaultRule): void {
    this.#rules.push(rule);
  }

  /** The next server create (Nova: POST /servers) fails as `kind`. */
  nextLaunchError(kind: LaunchFault): void {
    this.arm({ method: 'POST', path: /\/servers$/, times: 1, answer: launchFaultAnswers[kind] });
  }

  /** Every answer about server `id` (show and list) says `override` instead of what Nova says. */
  overrideServer(id: string, override: ServerOverride): void {
    this.#servers.set(id, override);
  }

  /** Calls that match, for "no second create was sent". */
  callsTo(method: string, path: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path));
  }

  /** Disarms every fault and override, and forgets the recorded calls. */
  reset(): void {
    this.#rules = [];
    this.#servers.clear();
    this.calls.length = 0;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/u\/([^/]+)\/(\d+)(\/.*)?$/.exec(req.url ?? '');
    if (!match?.[1] || !match[2]) return void res.writeHead(404).end('not a proxied path');
    const [host, port, path] = [match[1], Number(match[2]), match[3] ?? '/'];
    const body = await readAll(req);
    const rule = this.#take(req.method ?? 'GET', path);
    if (rule?.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
    if (res.destroyed) return;
    if (rule?.answer) {
      this.calls.push({ method: req.method ?? 'GET', path, port, status: rule.answer.status });
      const text = JSON.stringify(rule.answer.body);
      return void res.writeHead(rule.answer.status, { 'Content-Type': 'application/json', ...rule.answer.headers }).end(text);
    }
    try {
      const upstream = await forward(host, port, path, req, body);
      this.calls.push({ method: req.method ?? 'GET', path, port, status: upstream.status });
      const text = this.#rewrite(path, upstream.body.toString('utf8'), upstream.headers['content-type']);
      const headers = { ...upstream.headers };
      for (const drop of ['content-length', 'transfer-encoding', 'connection']) delete headers[drop];
      res.writeHead(upstream.status, headers).end(text);
    } catch (err) {
      res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`proxy: ${String(err)}`);
    }
  }

  #take(method: string, path: string): FaultRule | undefined {
    const rule = this.#rules.find((r) => (r.method === undefined || r.method === method) && r.path.test(path) && r.times > 0);
    if (rule) rule.times -= 1;
    return rule;
  }

  /** Points catalogs at the proxy and applies server overrides; other bodies pass as they are. */
  #rewrite(path: string, text: string, contentType: string | string[] | undefined): string {
    if (!String(contentType ?? '').includes('json')) return text;
    if (/\/auth\/tokens/.test(path) && text.includes('"catalog"')) {
      return text.replace(/"url":\s*"(https?:\/\/[^"]+)"/g, (_all, url: string) => `"url": "${this.via(url)}"`);
    }
    if (this.#servers.size > 0 && /\/servers(\/detail|\/[0-9a-f-]{36})?(\?|$)/.test(path)) return mutateServers(text, this.#servers);
    return text;
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends the call on to the real service, with the same method, headers and body. */
function forward(host: string, port: number, path: string, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: `${host}:${port}` };
    const out = httpRequest({ host, port, path, method: req.method, headers }, (answer) => {
      readAll(answer).then((data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }), reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}
