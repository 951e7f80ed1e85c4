import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadConfig } from '@hearth/config';
import { createLogger, type Logger } from '@hearth/log';
import { GatewayConfig, start, type RunningGateway } from '@hearth/gateway';

/** A gateway started in-process on a free port against a test nats-server. */
export interface TestGateway {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The first admin (`admin`) signs in with this. */
  readonly adminPassword: string;
  readonly running: RunningGateway;
  readonly dataDir: string;
  /** Stops the gateway and removes its data directory. */
  stop(): Promise<void>;
}

export interface StartGatewayOptions {
  natsUrl: string;
  /** `--set` overrides, e.g. `gateway.rateLimits.login.max=3` or `gateway.portalDir=/tmp/portal`. */
  set?: string[];
  /** The first admin's password; a random one when absent. */
  adminPassword?: string;
  /** Where the gateway logs; silent unless HEARTH_TEST_LOG=1 when absent. */
  log?: Logger;
}

/**
 * Starts the gateway with generous rate limits (tests sign in often from one address; pass
 * `set` to tighten them). The first admin `admin` exists once this resolves, unless the
 * NATS server already had an admin from an earlier gateway.
 */
export async function startGateway(opts: StartGatewayOptions): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-gw-'));
  const adminPassword = opts.adminPassword ?? `pw-${randomBytes(12).toString('hex')}`;
  const config = loadConfig(GatewayConfig, {
    set: [
      `nats.url=${opts.natsUrl}`,
      `dataDir=${dataDir}`,
      'gateway.port=0',
      'gateway.rateLimits.login.max=10000',
      'gateway.rateLimits.requests.max=100000',
      ...(opts.set ?? []),
    ],
  });
  const log = opts.log ?? createLogger({ service: 'gateway', level: process.env['HEARTH_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const running = await start({ config, log, adminPassword });
  return {
    url: running.url,
    adminPassword,
    running,
    dataDir,
    async stop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A portal-style sign-in: the session cookie (`hearth_session=…`) and the CSRF token to send with it. */
export async function signIn(url: string, user: string, password: string): Promise<{ cookie: string; csrfToken: string }> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in as ${user}: ${res.status} ${await res.text()}`);
  const cookie = /hearth_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  if (!cookie) throw new Error('sign-in set no hearth_session cookie');
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}

/** A personal API token (`hth_…`) for `user`, as the CLI gets one. */
export async function apiToken(url: string, user: string, password: string, name = 'test'): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password, name }),
  });
  if (res.status !== 201) throw new Error(`token for ${user}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Creates a user with the admin's token and returns a token of the new user. */
export async function addUser(url: string, adminToken: string, user: { name: string; password: string; role?: 'scientist' | 'admin' }): Promise<string> {
  const res = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ role: 'scientist', ...user }),
  });
  if (res.status !== 201) throw new Error(`creating user ${user.name}: ${res.status} ${await res.text()}`);
  return apiToken(url, user.name, user.password);
}

/** An RFC 9457 problem document as the gateway answers errors. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  issues?: { path: string; message: string }[];
}

/** Checks that `res` is a problem document with `status` carrying its request id, and returns it. */
export async function expectProblem(res: Response, status: number): Promise<ProblemDocument> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as ProblemDocument;
  expect(body).toMatchObject({ type: 'about:blank', status, requestId: res.headers.get('x-request-id') });
  return body;
}

/** A call to the gateway at `url` with a Bearer token; `body` is sent as JSON. */
export function apiCall(url: string, token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

/** A machine as the API shows it to its user (the fields tests look at). */
export interface MachineView {
  id: string;
  type: string;
  user: string;
  state: string;
  connect: { host: string; port: number; user: string; jump?: string };
  sshCommand: string;
}
