import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '@hearth/log';
import { addUser, apiToken, expectProblem, signIn, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { waitFor } from '../helpers/wait-for.js';

let nats: TestNatsServer;
let gw: TestGateway;
let adminToken: string;

beforeAll(async () => {
  nats = await startNatsServer();
  gw = await startGateway({ natsUrl: nats.url });
  adminToken = await apiToken(gw.url, 'admin', gw.adminPassword);
});

afterAll(async () => {
  await gw?.stop();
  await nats?.cleanup();
});

const call = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${gw.url}/api/v1${path}`, init);
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

const problem = expectProblem;

describe('the first admin', () => {
  it('is created once, with a note for hearth up in the data directory', async () => {
    expect(gw.running.createdAdmin).toBe(true);
    expect(existsSync(join(gw.dataDir, 'run', 'first-admin.json'))).toBe(true);
    // a second gateway on the same NATS finds the admin and leaves it alone
    const second = await startGateway({ natsUrl: nats.url, adminPassword: 'another password entirely' });
    try {
      expect(second.running.createdAdmin).toBe(false);
      expect(existsSync(join(second.dataDir, 'run', 'first-admin.json'))).toBe(false);
      expect((await fetch(`${second.url}/api/v1/auth/login`, json({ user: 'admin', password: 'another password entirely' }))).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});

describe('sign-in and sessions', () => {
  it('signs the first admin in with a session cookie: httpOnly, SameSite=Strict, not Secure without TLS', async () => {
    const res = await call('/auth/login', json({ user: 'admin', password: gw.adminPassword }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { name: string; role: string }; csrfToken: string };
    expect(body.user).toEqual({ name: 'admin', role: 'admin' });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/hearth_session=[A-Za-z0-9_-]{43}/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/i);
  });

  it('refuses a wrong password and an unknown user alike, with 401', async () => {
    const wrong = await problem(await call('/auth/login', json({ user: 'admin', password: 'not it' })), 401);
    const unknown = await problem(await call('/auth/login', json({ user: 'nobody', password: 'not it' })), 401);
    expect(wrong.detail).toBe(unknown.detail);
  });

  it('answers GET /me with the CSRF token for a cookie, and logout ends the session', async () => {
    const { cookie, csrfToken } = await signIn(gw.url, 'admin', gw.adminPassword);
    const me = await call('/me', { headers: { cookie } });
    expect(await me.json()).toEqual({ name: 'admin', role: 'admin', csrfToken });
    // 1. logout without the CSRF header is refused and the session stays
    await problem(await call('/auth/logout', { method: 'POST', headers: { cookie } }), 403);
    expect((await call('/me', { headers: { cookie } })).status).toBe(200);
    // 2. with it: 204, cookie cleared, session gone
    const out = await call('/auth/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/hearth_session=;/);
    await problem(await call('/me', { headers: { cookie } }), 401);
  });

  it('checks the CSRF token on every cookie call that changes something', async () => {
    const { cookie, csrfToken } = await signIn(gw.url, 'admin', gw.adminPassword);
    const body = { name: 'cookie-token' };
    await problem(await call('/me/tokens', json(body, { cookie })), 403);
    await problem(await call('/me/tokens', json(body, { cookie, 'x-csrf-token': 'x'.repeat(43) })), 403);
    expect((await call('/me/tokens', json(body, { cookie, 'x-csrf-token': csrfToken }))).status).toBe(201);
  });

  it('ends a session at gateway.sessionMaxAgeMs: 401 after', async () => {
    const brief = await startGateway({ natsUrl: nats.url, set: ['gateway.sessionMaxAgeMs=1s'] });
    try {
      const { cookie } = await signIn(brief.url, 'admin', gw.adminPassword);
      expect((await fetch(`${brief.url}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
      await waitFor(async () => (await fetch(`${brief.url}/api/v1/me`, { headers: { cookie } })).status === 401, { what: 'the session expired' });
    } finally {
      await brief.stop();
    }
  });

  it('answers 401 without credentials and with a garbled cookie', async () => {
    await problem(await call('/me'), 401);
    await problem(await call('/me', { headers: { cookie: 'hearth_session=forged' } }), 401);
    await problem(await call('/machines'), 401);
  });
});

describe('API tokens', () => {
  it('creates a token shown once, lists it without its text, notes its use, and revokes it at once', async () => {
    const created = await call('/me/tokens', json({ name: 'laptop' }, bearer(adminToken)));
    expect(created.status).toBe(201);
    const { id, token, name } = (await created.json()) as { id: string; token: string; name: string };
    expect(token).toMatch(/^hth_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(name).toBe('laptop');
    expect((await call('/me', { headers: bearer(token) })).status).toBe(200);
    const list = (await (await call('/me/tokens', { headers: bearer(adminToken) })).json()) as { tokens: Record<string, unknown>[] };
    const listed = list.tokens.find((t) => t['id'] === id);
    expect(listed).toMatchObject({ id, name: 'laptop' });
    expect(listed?.['lastUsedAt']).toEqual(expect.any(Number));
    expect(JSON.stringify(list)).not.toContain(token);
    // revoke: the next call with it is 401
    expect((await call(`/me/tokens/${id}`, { method: 'DELETE', headers: bearer(adminToken) })).status).toBe(204);
    await problem(await call('/me', { headers: bearer(token) }), 401);
    await problem(await call(`/me/tokens/${id}`, { method: 'DELETE', headers: bearer(adminToken) }), 404);
  });

  it('refuses unknown, malformed and forged tokens with 401', async () => {
    await problem(await call('/me', { headers: bearer('hth_0123456789abcdef_' + 'A'.repeat(43)) }), 401);
    await problem(await call('/me', { headers: bearer('nonsense') }), 401);
    await problem(await call('/me', { headers: { authorization: 'Basic YWRtaW46eA==' } }), 401);
    const real = await apiToken(gw.url, 'admin', gw.adminPassword);
    await problem(await call('/me', { headers: bearer(`${real.slice(0, -3)}AAA`) }), 401);
  });

  it('revokes the token a logout is called with', async () => {
    const token = await apiToken(gw.url, 'admin', gw.adminPassword, 'short-lived');
    expect((await call('/auth/logout', { method: 'POST', headers: bearer(token) })).status).toBe(204);
    await problem(await call('/me', { headers: bearer(token) }), 401);
  });

  it('gives a token 90 days unless told otherwise, and refuses it once it has expired, saying so', async () => {
    const before = Date.now();
    const lasting = (await (await call('/me/tokens', json({ name: 'default expiry' }, bearer(adminToken)))).json()) as { expiresAt: number };
    expect(lasting.expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400_000);
    expect(lasting.expiresAt).toBeLessThanOrEqual(Date.now() + 90 * 86_400_000);

    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const created = await call('/auth/tokens', json({ user: 'admin', password: gw.adminPassword, name: 'brief', expiresAt }));
    expect(created.status).toBe(201);
    const brief = (await created.json()) as { id: string; token: string; expiresAt: number };
    expect(brief.expiresAt).toBe(Date.parse(expiresAt));
    expect((await call('/me', { headers: bearer(brief.token) })).status).toBe(200);
    await waitFor(() => Date.now() > brief.expiresAt + 50, { what: 'the token to expire', intervalMs: 100 });
    const refused = await problem(await call('/me', { headers: bearer(brief.token) }), 401);
    expect(refused.detail).toBe(`the API token "brief" expired at ${expiresAt}; make a new one (hearth login, or Settings in the portal)`);
    // a websocket upgrade with it is refused too, and the list says it expired
    const socket = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/api/v1/events`, { headers: bearer(brief.token) });
    const status = await new Promise<number | undefined>((resolve) => {
      socket.once('unexpected-response', (req, res) => {
        req.destroy();
        resolve(res.statusCode);
      });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('error', () => undefined);
    });
    expect(status).toBe(401);
    const list = (await (await call('/me/tokens', { headers: bearer(adminToken) })).json()) as { tokens: { id: string; expired: boolean; expiresAt?: number }[] };
    expect(list.tokens.find((t) => t.id === brief.id)).toMatchObject({ expired: true, expiresAt: brief.expiresAt });
  });

  it('refuses an expiry that is not a date, not in the future, or more than 366 days ahead, and makes no token', async () => {
    const count = async (): Promise<number> => ((await (await call('/me/tokens', { headers: bearer(adminToken) })).json()) as { tokens: unknown[] }).tokens.length;
    const before = await count();
    for (const [expiresAt, says] of [
      ['next tuesday', /not a date and time: "next tuesday"; expected RFC 3339/],
      ['2020-01-01T00:00:00Z', /is not in the future/],
      [new Date(Date.now() + 400 * 86_400_000).toISOString(), /more than 366 days ahead/],
    ] as const) {
      const body = await problem(await call('/me/tokens', json({ name: 'bad', expiresAt }, bearer(adminToken))), 400);
      expect(body.detail).toMatch(says);
      expect(body.issues).toEqual([expect.objectContaining({ path: '/expiresAt' })]);
    }
    await problem(await call('/me/tokens', json({ name: 'bad', expiresAt: 12 }, bearer(adminToken))), 400);
    expect(await count()).toBe(before);
  });

  it('needs the password to make a token without a session', async () => {
    await problem(await call('/auth/tokens', json({ user: 'admin', password: 'wrong', name: 'cli' })), 401);
  });
});

describe('a second gateway on the same NATS', () => {
  let other: TestGateway;

  beforeAll(async () => {
    other = await startGateway({ natsUrl: nats.url });
  });

  afterAll(async () => {
    await other?.stop();
  });

  const otherMe = (token: string): Promise<Response> => fetch(`${other.url}/api/v1/me`, { headers: bearer(token) });

  it('accepts a token made a moment ago on the first, and refuses it once the first revokes it', async () => {
    const created = await call('/me/tokens', json({ name: 'elsewhere' }, bearer(adminToken)));
    const { id, token } = (await created.json()) as { id: string; token: string };
    expect((await otherMe(token)).status).toBe(200);
    expect((await call(`/me/tokens/${id}`, { method: 'DELETE', headers: bearer(adminToken) })).status).toBe(204);
    // the second gateway learns of the revoke from its KV watch
    await waitFor(async () => (await otherMe(token)).status === 401, { what: 'the second gateway to refuse the revoked token' });
    await problem(await otherMe(token), 401);
  });

  it('refuses the tokens of a user disabled on the first', async () => {
    const token = await addUser(gw.url, adminToken, { name: 'linus', password: 'a long password 1' });
    expect((await otherMe(token)).status).toBe(200);
    const res = await call('/users/linus', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify({ disabled: true }) });
    expect(res.status).toBe(200);
    await waitFor(async () => (await otherMe(token)).status === 401, { what: 'the second gateway to refuse the disabled user' });
    await problem(await otherMe(token), 401);
  });
});

describe('roles and users', () => {
  let adaToken: string;

  beforeAll(async () => {
    adaToken = await addUser(gw.url, adminToken, { name: 'ada', password: 'correct horse battery' });
  });

  it('answers 403 to a scientist on admin routes and 401 to nobody', async () => {
    for (const path of ['/users', '/pools', '/clouds', '/usage']) {
      await problem(await call(path, { headers: bearer(adaToken) }), 403);
      await problem(await call(path), 401);
    }
    await problem(await call('/users', json({ name: 'eve', password: 'x'.repeat(12), role: 'admin' }, bearer(adaToken))), 403);
  });

  it('tells anyone whether each service is healthy, and only an admin where it runs and what its checks say', async () => {
    type Status = { healthy: boolean; nats: Record<string, unknown>; services: Record<string, unknown>[] };
    const status = async (headers: Record<string, string> = {}): Promise<Status> => (await (await call('/status', { headers })).json()) as Status;
    for (const caller of [{}, bearer(adaToken)]) {
      const open = await status(caller);
      expect(open.healthy).toBe(true);
      expect(Object.keys(open.nats)).toEqual(['connected']);
      expect(open.services.length).toBeGreaterThan(0);
      for (const s of open.services) expect(Object.keys(s).sort()).toEqual(['healthy', 'name']);
    }
    const full = await status(bearer(adminToken));
    expect(full.nats).toMatchObject({ connected: true, server: expect.stringContaining('127.0.0.1') });
    expect(full.services.find((s) => s.name === 'gateway')).toMatchObject({ host: expect.any(String), pid: process.pid, checks: expect.any(Array) });
  });

  it('lets an admin list users, change a role, and refuses a duplicate name with 409', async () => {
    const list = (await (await call('/users', { headers: bearer(adminToken) })).json()) as { users: { name: string; role: string; disabled: boolean }[] };
    expect(list.users.map((u) => u.name)).toEqual(expect.arrayContaining(['admin', 'ada']));
    expect(JSON.stringify(list)).not.toMatch(/scrypt|passwordHash/);
    await problem(await call('/users', json({ name: 'ada', password: 'another long one', role: 'scientist' }, bearer(adminToken))), 409);
    const promoted = await call('/users/ada', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify({ role: 'admin' }) });
    expect(await promoted.json()).toMatchObject({ name: 'ada', role: 'admin', disabled: false });
    expect((await call('/users', { headers: bearer(adaToken) })).status).toBe(200);
    await call('/users/ada', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify({ role: 'scientist' }) });
    await problem(await call('/users', { headers: bearer(adaToken) }), 403);
    await problem(await call('/users/nobody', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify({ role: 'admin' }) }), 404);
  });

  it('ends every session and token of a disabled user, and refuses their sign-in', async () => {
    const password = 'grace hopper 1906';
    const graceToken = await addUser(gw.url, adminToken, { name: 'grace', password });
    const { cookie } = await signIn(gw.url, 'grace', password);
    const patch = (body: unknown): Promise<Response> =>
      call('/users/grace', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify(body) });
    expect(await (await patch({ disabled: true })).json()).toMatchObject({ name: 'grace', disabled: true });
    await problem(await call('/me', { headers: bearer(graceToken) }), 401);
    await problem(await call('/me', { headers: { cookie } }), 401);
    await problem(await call('/auth/login', json({ user: 'grace', password })), 401);
    // enabled again: a new sign-in works, the old token stays revoked
    await patch({ disabled: false });
    await signIn(gw.url, 'grace', password);
    await problem(await call('/me', { headers: bearer(graceToken) }), 401);
  });

  it('sets a new password, ending the sessions made with the old one', async () => {
    const { cookie } = await signIn(gw.url, 'ada', 'correct horse battery');
    const res = await call('/users/ada', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify({ password: 'a brand new password' }) });
    expect(res.status).toBe(200);
    await problem(await call('/me', { headers: { cookie } }), 401);
    await problem(await call('/auth/login', json({ user: 'ada', password: 'correct horse battery' })), 401);
    await signIn(gw.url, 'ada', 'a brand new password');
  });

  it('does not let an admin disable themselves', async () => {
    const res = await call('/users/admin', { method: 'PATCH', headers: { 'content-type': 'application/json', ...bearer(adminToken) }, body: JSON.stringify({ disabled: true }) });
    await problem(res, 409);
  });

  it('keeps a profile SSH key', async () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop';
    const res = await call('/me/ssh-key', { method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(adaToken) }, body: JSON.stringify({ sshPublicKey: key }) });
    expect(await res.json()).toEqual({ name: 'ada', role: 'scientist', sshPublicKey: key });
    expect(await (await call('/me', { headers: bearer(adaToken) })).json()).toEqual({ name: 'ada', role: 'scientist', sshPublicKey: key });
    const bad = await call('/me/ssh-key', { method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(adaToken) }, body: JSON.stringify({ sshPublicKey: 'not a key' }) });
    expect((await problem(bad, 400)).issues).toEqual([{ path: '/sshPublicKey', message: expect.any(String) }]);
  });
});

describe('logs', () => {
  it('carry the request id and the user, and never a password, token, cookie or CSRF token', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startGateway({ natsUrl: nats.url, log: createLogger({ service: 'gateway', level: 'debug', destination }) });
    try {
      const password = gw.adminPassword;
      const token = await apiToken(logged.url, 'admin', password);
      const { cookie, csrfToken } = await signIn(logged.url, 'admin', password);
      await fetch(`${logged.url}/api/v1/me`, { headers: bearer(token) });
      await fetch(`${logged.url}/api/v1/me/tokens`, json({ name: 'x' }, { cookie, 'x-csrf-token': csrfToken }));
      await fetch(`${logged.url}/api/v1/auth/login`, json({ user: 'admin', password: `${password}-wrong` }));
      const socket = new WebSocket(`${logged.url.replace(/^http/, 'ws')}/api/v1/events?token=${token}`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.close();
      const text = lines.join('');
      for (const secret of [password, token, token.slice(4), cookie.split('=')[1] ?? cookie, csrfToken]) expect(text).not.toContain(secret);
      const me = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'request completed' && l['user'] === 'admin');
      expect(me?.['reqId']).toEqual(expect.any(String));
    } finally {
      await logged.stop();
    }
  });
});

describe('TLS', () => {
  it('marks the session cookie Secure when the gateway speaks HTTPS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-tls-'));
    const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const tls = await startGateway({ natsUrl: nats.url, set: [`gateway.tls.certFile=${certFile}`, `gateway.tls.keyFile=${keyFile}`] });
    try {
      expect(tls.url).toMatch(/^https:/);
      const setCookie = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${tls.url}/api/v1/auth/login`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie'] ?? ''));
        });
        req.once('error', reject);
        req.end(JSON.stringify({ user: 'admin', password: gw.adminPassword }));
      });
      expect(setCookie).toMatch(/hearth_session=.+; .*Secure/);
    } finally {
      await tls.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
