import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Test support for the unit tests beside this file (not exported from the package): a small
// loopback HTTP server that answers as Keystone does (tokens with a catalog pointing back at
// itself) and lets each test script the compute, image and network answers. The driver under
// test talks to it over real HTTP with Node's fetch, unchanged.

/** One scripted answer. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A call the server received. */
export interface Received {
  method: string;
  /** Path and query, e.g. `/compute/v2.1/servers/detail?tags=…`. */
  path: string;
  token?: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Handler = (call: Received) => Reply | undefined;

/** The recorded Keystone body of the control plane (trimmed), with `base` as every endpoint. */
function tokenBody(base: string, lifetimeMs: number): unknown {
  const issued = new Date();
  const endpoints = (path: string): unknown[] =>
    ['public', 'internal', 'admin'].map((iface) => ({ interface: iface, region: 'RegionOne', region_id: 'RegionOne', url: `${base}${path}` }));
  return {
    token: {
      methods: ['password'],
      user: { domain: { id: 'default', name: 'Default' }, id: 'u-1', name: 'demo' },
      issued_at: issued.toISOString(),
      expires_at: new Date(issued.getTime() + lifetimeMs).toISOString(),
      project: { domain: { id: 'default', name: 'Default' }, id: 'p-1', name: 'demo' },
      catalog: [
        { type: 'identity', name: 'keystone', endpoints: endpoints('/v3/') },
        { type: 'compute', name: 'nova', endpoints: endpoints('/compute/v2.1') },
        { type: 'image', name: 'glance', endpoints: endpoints('/image') },
        { type: 'network', name: 'neutron', endpoints: endpoints('/network') },
      ],
    },
  };
}

/**
 * A scripted OpenStack on 127.0.0.1. Keystone issues `tok-1`, `tok-2`, … each living
 * `tokenLifetimeMs`; every other path is answered by the first handler that returns a reply
 * (the newest first), else 404 in Nova's format. Every call is recorded.
 */
export class LocalApi {
  readonly calls: Received[] = [];
  tokenLifetimeMs = 3_600_000;
  tokensIssued = 0;
  #handlers: Handler[] = [];
  readonly #server: Server;
  #base = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const token = req.headers['x-auth-token'];
        const call: Received = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          ...(typeof token === 'string' ? { token } : {}),
          headers: req.headers,
          body: text ? (JSON.parse(text) as unknown) : undefined,
        };
        this.calls.push(call);
        const reply = this.#answer(call);
        res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
  }

  static async start(): Promise<LocalApi> {
    const api = new LocalApi();
    await new Promise<void>((resolve) => api.#server.listen(0, '127.0.0.1', resolve));
    api.#base = `http://127.0.0.1:${(api.#server.address() as AddressInfo).port}`;
    return api;
  }

  get authUrl(): string {
    return `${this.#base}/v3`;
  }

  /** Answers calls `method path` (path tested against path and query) with `reply`, or what `reply` returns. */
  on(method: string, path: RegExp, reply: Reply | ((call: Received) => Reply | undefined)): void {
    this.#handlers.unshift((call) => {
      if (call.method !== method || !path.test(call.path)) return undefined;
      return typeof reply === 'function' ? reply(call) : reply;
    });
  }

  /** Answers the next `times` matching calls with `reply`, then lets the older handlers answer again. */
  onNext(method: string, path: RegExp, reply: Reply, times = 1): void {
    let left = times;
    this.on(method, path, () => (left-- > 0 ? reply : undefined));
  }

  /** The calls to `method` whose path matches. */
  callsTo(method: string, path: RegExp): Received[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(call: Received): Reply {
    for (const handler of this.#handlers) {
      const reply = handler(call);
      if (reply) return reply;
    }
    if (call.method === 'POST' && call.path === '/v3/auth/tokens') {
      this.tokensIssued += 1;
      return { status: 201, body: tokenBody(this.#base, this.tokenLifetimeMs), headers: { 'X-Subject-Token': `tok-${this.tokensIssued}` } };
    }
    return { status: 404, body: { itemNotFound: { code: 404, message: `${call.path} could not be found.` } } };
  }
}
