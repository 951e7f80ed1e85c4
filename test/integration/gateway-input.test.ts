import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiToken, expectProblem, signIn, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';

// no pool manager runs here: calls that need it show what a client sees when a service is down
let nats: TestNatsServer;
let gw: TestGateway;
let portalDir: string;
let token: string;

beforeAll(async () => {
  nats = await startNatsServer();
  portalDir = await mkdtemp(join(tmpdir(), 'hearth-portal-'));
  await writeFile(join(portalDir, 'index.html'), '<!doctype html><title>Hearth portal</title><div id="root"></div>');
  await writeFile(join(portalDir, 'app.js'), 'console.log("portal")');
  gw = await startGateway({ natsUrl: nats.url, set: ['gateway.bodyLimitBytes=2048', `gateway.portalDir=${portalDir}`] });
  token = await apiToken(gw.url, 'admin', gw.adminPassword);
});

afterAll(async () => {
  await gw?.stop();
  await nats?.cleanup();
  await rm(portalDir, { recursive: true, force: true });
});

const problem = expectProblem;

const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${gw.url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body });

describe('bad input', () => {
  it('answers invalid JSON with 400', async () => {
    const body = await problem(await post('/me/tokens', '{"name": '), 400);
    expect(body.title).toBe('INVALID_REQUEST');
    expect(body.issues?.length).toBe(1);
  });

  it('takes an empty body with a JSON content-type as no body', async () => {
    const body = await problem(await post('/me/tokens', ''), 400);
    expect(body.detail).toMatch(/body/);
    // logout with a token revokes it: take a new one after
    expect((await post('/auth/logout', '')).status).toBe(204);
    token = await apiToken(gw.url, 'admin', gw.adminPassword);
  });

  it('names each unknown field and each wrong type', async () => {
    const body = await problem(await post('/me/tokens', JSON.stringify({ name: 7, colour: 'red', size: 1 })), 400);
    expect(body.issues).toEqual(
      expect.arrayContaining([
        { path: '/colour', message: 'unknown field' },
        { path: '/size', message: 'unknown field' },
        { path: '/name', message: expect.stringMatching(/string/) },
      ]),
    );
    const missing = await problem(await post('/auth/login', JSON.stringify({ user: 'admin' })), 400);
    expect(missing.issues).toEqual([{ path: '/password', message: 'is required' }]);
  });

  it('refuses a body above gateway.bodyLimitBytes with 413', async () => {
    const body = await problem(await post('/me/tokens', JSON.stringify({ name: 'x'.repeat(4096) })), 413);
    expect(body.title).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers unknown ids and routes with 404', async () => {
    await problem(await fetch(`${gw.url}/api/v1/requests/nope`, { headers: { authorization: `Bearer ${token}` } }), 404);
    await problem(await fetch(`${gw.url}/api/v1/me/tokens/0123456789abcdef`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }), 404);
    await problem(await fetch(`${gw.url}/api/v1/no-such-route`, { headers: { authorization: `Bearer ${token}` } }), 404);
    await problem(await fetch(`${gw.url}/api/v1/users/nobody`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"role":"admin"}' }), 404);
  });

  it('answers 503 when the service behind does not answer', async () => {
    const body = await problem(await fetch(`${gw.url}/api/v1/machine-types`, { headers: { authorization: `Bearer ${token}` } }), 503);
    expect(body.detail).toMatch(/hearth\.machines\.types/);
  });

  it('refuses a websocket without credentials (401), with a bad token, and takes ?token=', async () => {
    const url = `${gw.url.replace(/^http/, 'ws')}/api/v1/events`;
    const refused = (target: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(target);
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => reject(new Error('the upgrade was accepted')));
        socket.once('error', () => undefined);
      });
    expect(await refused(url)).toBe(401);
    expect(await refused(`${url}?token=hth_0123456789abcdef_${'A'.repeat(43)}`)).toBe(401);
    const socket = new WebSocket(`${url}?token=${token}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.close();
    // and with the session cookie
    const { cookie } = await signIn(gw.url, 'admin', gw.adminPassword);
    const withCookie = new WebSocket(url, { headers: { cookie } });
    await new Promise<void>((resolve, reject) => {
      withCookie.once('open', () => resolve());
      withCookie.once('error', reject);
    });
    withCookie.close();
  });
});

interface GatewayPair {
  gateways: [TestGateway, TestGateway];
  stop(): Promise<void>;
}

/**
 * Two gateways of one installation with the `set` limits, on a NATS of their own: sign-in
 * attempts are counted by every gateway together, so the other tests' sign-ins must not count.
 */
async function gatewayPair(set: string[]): Promise<GatewayPair> {
  const limitNats = await startNatsServer();
  const started: TestGateway[] = [];
  const stop = async (): Promise<void> => {
    for (const g of started.reverse()) await g.stop();
    await limitNats.cleanup();
  };
  try {
    const first = await startGateway({ natsUrl: limitNats.url, set });
    started.push(first);
    const second = await startGateway({ natsUrl: limitNats.url, set });
    started.push(second);
    return { gateways: [first, second], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

describe('rate limits', () => {
  let pair: GatewayPair;
  let tight: TestGateway;
  let tight2: TestGateway;
  let tightToken: string;

  beforeAll(async () => {
    pair = await gatewayPair(['gateway.rateLimits.login.max=4', 'gateway.rateLimits.requests.max=5']);
    [tight, tight2] = pair.gateways;
    // the first of the 4 password checks allowed for `admin` and for 127.0.0.1
    tightToken = await apiToken(tight.url, 'admin', tight.adminPassword);
  });
  afterAll(() => pair?.stop());

  it('limits password checks across gateways, then answers 429 with retry-after', async () => {
    const attempt = (on: TestGateway, user: string): Promise<Response> =>
      fetch(`${on.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: 'wrong' }) });
    // checks 2-4, spread over both gateways: a limit per gateway would allow 4 on each
    expect((await attempt(tight, 'admin')).status).toBe(401);
    expect((await attempt(tight2, 'admin')).status).toBe(401);
    expect((await attempt(tight, 'admin')).status).toBe(401);
    const limited = await attempt(tight2, 'admin');
    await problem(limited, 429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // the right password does not get past the limit either, on either gateway
    for (const on of [tight, tight2]) {
      const right = await fetch(`${on.url}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'admin', password: tight.adminPassword, name: 'x' }),
      });
      expect(right.status).toBe(429);
    }
    // and the address is limited for every account
    expect((await attempt(tight, 'someone-else')).status).toBe(429);
  });

  it('limits API calls per credential', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${tight.url}/api/v1/me`, { headers: { authorization: `Bearer ${tightToken}` } })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const res = await fetch(`${tight.url}/api/v1/me`, { headers: { authorization: `Bearer ${tightToken}` } });
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('sign-in limit shared by gateways', () => {
  let pair: GatewayPair;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    pair = await gatewayPair(['gateway.rateLimits.login.max=4', 'gateway.rateLimits.login.windowMs=1s']);
    [a, b] = pair.gateways;
  });
  afterAll(() => pair?.stop());

  it('counts concurrent attempts on both gateways exactly, and opens again when the window ends', async () => {
    const attempt = (on: TestGateway): Promise<number> =>
      fetch(`${on.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'nobody', password: 'wrong' }) }).then((r) => r.status);
    const statuses = await Promise.all([a, b, a, b, a, b, a, b].map(attempt));
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await attempt(b)).toBe(401);
  });
});

describe('OpenAPI and the portal', () => {
  it('serves an OpenAPI 3 document listing every route, and the docs page', async () => {
    const res = await fetch(`${gw.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/tokens',
        'GET /api/v1/me',
        'PUT /api/v1/me/ssh-key',
        'GET /api/v1/me/tokens',
        'POST /api/v1/me/tokens',
        'DELETE /api/v1/me/tokens/{id}',
        'GET /api/v1/machine-types',
        'POST /api/v1/machines',
        'GET /api/v1/machines',
        'GET /api/v1/machines/{id}',
        'DELETE /api/v1/machines/{id}',
        'GET /api/v1/requests/{id}',
        'DELETE /api/v1/requests/{id}',
        'GET /api/v1/pools',
        'PATCH /api/v1/pools/{type}/{cloud}',
        'GET /api/v1/clouds',
        'POST /api/v1/clouds/{name}/drain',
        'POST /api/v1/clouds/{name}/undrain',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'PATCH /api/v1/users/{name}',
        'GET /api/v1/usage',
        'GET /api/v1/events',
      ]),
    );
    const page = await fetch(`${gw.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
  });

  it('serves the portal at / and its index.html for the portal\'s own paths', async () => {
    const root = await fetch(`${gw.url}/`);
    expect(await root.text()).toContain('Hearth portal');
    expect(await (await fetch(`${gw.url}/app.js`)).text()).toContain('portal');
    const deep = await fetch(`${gw.url}/machines/m-123`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('Hearth portal');
    await problem(await fetch(`${gw.url}/api/v2/nothing`), 404);
  });

  it('says so at / when the portal is not built', async () => {
    const bare = await startGateway({ natsUrl: nats.url, set: ['gateway.portalDir=/nonexistent'] });
    try {
      const res = await fetch(`${bare.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/portal is not built/);
    } finally {
      await bare.stop();
    }
  });
});
