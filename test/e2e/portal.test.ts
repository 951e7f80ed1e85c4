import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerTag } from '@hearth/clouds';
import { analysisImage, removeByLabel } from '../helpers/docker-image.js';
import { launchChromium, screenshot, watchConsole, type ConsoleWatch } from '../helpers/browser.js';
import { addUser, apiToken, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, startPoolManager, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

// The portal as people use it, in Debian's Chromium: a real nats-server, the real pool
// manager on the real Docker engine (machines are containers with a real sshd) and the real
// gateway serving the built portal. A scientist signs in, sets an SSH key, requests a machine,
// logs into it with the ssh command the portal shows, and releases it; an admin resizes a
// pool and watches it refill. Every page is screenshotted and must log no console error.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const cloud = 'docker-e2e';
const type = 'analysis';
const adminPassword = 'correct horse battery staple';
const scientist = { name: 'ada', password: 'lovelace-analytical-engine' };

let nats: TestNatsServer;
let pm: TestPoolManager;
let gateway: TestGateway;
let browser: Browser;
let dir: string;
let keyFile: string;
let sshConfig: string;
let adminToken: string;

/** One signed-in browser: a fresh context (own cookies and storage), its page and its console. */
interface Visit {
  context: BrowserContext;
  page: Page;
  console: ConsoleWatch;
}

async function visit(): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page, console: watchConsole(page) };
}

async function signIn(v: Visit, user: string, password: string): Promise<void> {
  await v.page.goto(gateway.url);
  await v.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await v.page.getByLabel('User name').fill(user);
  await v.page.getByLabel('Password').fill(password);
  await v.page.getByRole('button', { name: 'Sign in' }).click();
  await v.page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Goes to a page by its navigation link, as a person would, and waits for its heading. */
async function open(v: Visit, link: string, heading: string): Promise<void> {
  await v.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
  await v.page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** A REST call with a personal token, as the CLI makes it. */
async function call<T>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gateway.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

interface PoolCounts {
  settings: { type: string; cloud: string };
  counts: Record<'launching' | 'booting' | 'ready', number>;
}

async function poolCounts(): Promise<PoolCounts['counts'] | undefined> {
  const { body } = await call<{ pools: PoolCounts[] }>(adminToken, 'GET', '/pools');
  return body.pools.find((p) => p.settings.type === type && p.settings.cloud === cloud)?.counts;
}

/** Runs the ssh command as shown, pasted into a shell with the test key and no host-key prompts, and returns what `whoami` printed. */
async function loginWith(command: string): Promise<string> {
  const pasted = command.replace(/^ssh /, `ssh -F ${sshConfig} `);
  return waitFor(async () => (await run('sh', ['-c', `${pasted} whoami`], { timeout: 60_000 })).stdout.trim(), {
    what: `ssh login with: ${command}`,
    timeoutMs: 120_000,
    intervalMs: 1000,
  });
}

/** Screenshots the page and checks that nothing was logged as an error on it. */
async function settle(v: Visit, name: string): Promise<void> {
  await screenshot(v.page, name);
  expect(v.console.take(), `console errors on ${name}`).toEqual([]);
}

beforeAll(async () => {
  // the portal is built the way ./hearth builds it: only when its sources changed
  const build = spawnSync('bash', [join(root, 'services', 'portal', 'build-if-changed.sh')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the portal failed:\n${build.stdout}\n${build.stderr}`);

  dir = await mkdtemp(join(tmpdir(), 'hearth-portal-e2e-'));
  keyFile = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ada@e2e', '-f', keyFile]);
  // a config file, not -o options: ssh passes -F on to the jump host connection of -J
  sshConfig = join(dir, 'ssh_config');
  await writeFile(
    sshConfig,
    `Host *\n  IdentityFile ${keyFile}\n  IdentitiesOnly yes\n  BatchMode yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 30\n`,
  );

  nats = await startNatsServer();
  const image = await analysisImage();
  pm = await startPoolManager(nats.url, [
    ...machineType(0, type, [`images.default=${image}`, 'description=Debian with the analysis tools', 'idleLimitMs=30m', 'bootTimeoutMs=120s']),
    `clouds[0].name=${cloud}`,
    'clouds[0].driver=docker',
    'clouds[0].region=local',
    'clouds[0].network=hearth-test',
    ...pool(0, type, cloud, 1, 3),
    // a type whose machines go idle at once, for the reclaim warning
    ...machineType(1, 'short', [`images.default=${image}`, 'description=Reclaimed when idle for 3 s', 'idleLimitMs=3s', 'bootTimeoutMs=120s']),
    ...pool(1, 'short', cloud, 1, 1),
    'poolManager.activityProbeIntervalMs=1s',
    'poolManager.reclaimGraceMs=10m',
  ]);
  gateway = await startGateway({ natsUrl: nats.url, adminPassword, set: [`installation=${pm.installation}`] });
  adminToken = await apiToken(gateway.url, 'admin', adminPassword);
  await addUser(gateway.url, adminToken, scientist);
  browser = await launchChromium();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await pm?.cleanup();
  if (pm) await removeByLabel(`${OwnerTag.Installation}=${pm.installation}`);
  await nats?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('portal - a scientist gets a machine and uses it', () => {
  let v: Visit;
  let command: string;

  beforeAll(async () => {
    v = await visit();
  });
  afterAll(async () => {
    await v?.context.close();
  });

  it('signs in and sees the machine types with a warm machine counted live', async () => {
    await v.page.goto(gateway.url);
    await v.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await settle(v, '01-login');
    await signIn(v, scientist.name, scientist.password);
    const card = v.page.locator(`[data-type="${type}"]`);
    await card.getByRole('heading', { name: type }).waitFor();
    // the pool warms its first machine while we watch: the count comes up without a reload
    await card.getByText('1 ready').waitFor({ timeout: 180_000 });
    expect(await card.getByText(cloud).isVisible()).toBe(true);
    await settle(v, '02-catalogue');
  }, 240_000);

  it('saves an SSH public key and makes an API token that is shown once', async () => {
    await open(v, 'Settings', 'Settings');
    const publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    await v.page.getByLabel('Public key', { exact: true }).fill(publicKey);
    await v.page.getByRole('button', { name: 'Save key' }).click();
    await v.page.getByText('Key saved').waitFor();

    await v.page.getByLabel('Token name').fill('laptop');
    await v.page.getByRole('button', { name: 'Create token' }).click();
    const secret = v.page.getByRole('textbox', { name: 'New token laptop' });
    await secret.waitFor();
    expect(await secret.inputValue()).toMatch(/^hth_/);
    await v.page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    await settle(v, '03-settings');
    await v.page.getByRole('button', { name: 'Revoke token laptop' }).click();
    await v.page.getByRole('cell', { name: 'laptop', exact: true }).waitFor({ state: 'detached' });
    expect(v.console.take()).toEqual([]);
  }, 120_000);

  it('requests a machine and follows it to a connection card with the ssh command', async () => {
    await open(v, 'Machine types', 'Machine types');
    // by keyboard: the page's heading has focus after navigating, the next Tab stop is Request
    expect(await v.page.locator('h1:focus').count()).toBe(1);
    await v.page.keyboard.press('Tab');
    expect(await v.page.locator(':focus').getAttribute('aria-label')).toBe(`Request an ${type} machine`);
    await v.page.keyboard.press('Enter');
    await v.page.getByRole('heading', { level: 1, name: `Request: ${type}` }).waitFor();
    await v.page.getByRole('heading', { name: `Your ${type} machine is ready` }).waitFor({ timeout: 180_000 });
    command = await v.page.getByLabel('Connect with').inputValue();
    expect(command).toMatch(new RegExp(`^ssh .*\\b${scientist.name}@\\S+$`));
    expect(await v.page.getByRole('button', { name: 'Copy command' }).isEnabled()).toBe(true);
    await settle(v, '04-request');
  }, 240_000);

  it('logs into the machine with exactly the command shown', async () => {
    expect(await loginWith(command)).toBe(scientist.name);
  }, 180_000);

  it('lists the machine under My machines and releases it', async () => {
    await open(v, 'My machines', 'My machines');
    const card = v.page.locator('section.connection');
    await card.first().waitFor();
    expect(await card.count()).toBe(1);
    expect(await card.getByLabel('Connect with').inputValue()).toBe(command);
    await settle(v, '05-my-machines');
    await card.getByRole('button', { name: 'Release…' }).click();
    await card.getByRole('button', { name: 'Release machine' }).click();
    await v.page.getByText('You have no machines.').waitFor({ timeout: 60_000 });
    await settle(v, '06-my-machines-released');
  }, 120_000);

  it('signs out', async () => {
    await v.page.getByRole('button', { name: 'Sign out' }).click();
    await v.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(v.console.take()).toEqual([]);
  });
});

describe('portal - an admin resizes a pool and watches it refill', () => {
  let v: Visit;

  beforeAll(async () => {
    v = await visit();
    await signIn(v, 'admin', adminPassword);
  });
  afterAll(async () => {
    await v?.context.close();
  });

  const cell = (): ReturnType<Page['locator']> => v.page.locator(`td[data-pool="${type}/${cloud}"]`);
  const warm = async (): Promise<string> => (await cell().locator('[data-count="ready"]').textContent()) ?? '';

  it('shows the pools grid with live counts, and a resize refills the pool', async () => {
    await open(v, 'Pools', 'Pools');
    await v.page.getByRole('columnheader', { name: cloud }).waitFor();
    await waitFor(async () => (await warm()) === '1', { what: 'one warm machine in the grid', timeoutMs: 180_000, intervalMs: 500 });
    await settle(v, '07-pools');

    await cell().getByRole('button', { name: `Resize ${type} on ${cloud}` }).click();
    const form = cell().getByRole('form', { name: `Resize ${type} on ${cloud}` });
    await form.getByLabel('Min ready').fill('2');
    await form.getByLabel('Max').fill('3');
    await form.getByRole('button', { name: 'Save' }).click();
    await cell().getByText('min 2 · max 3').waitFor();
    await cell().getByText('changed by admin').waitFor();
    // the new machine launches and boots; the grid shows it warm without a reload
    await waitFor(async () => (await warm()) === '2', { what: 'the pool refilled to two warm machines', timeoutMs: 180_000, intervalMs: 500 });
    await settle(v, '08-pools-resized');
  }, 420_000);

  it('shows cloud health with drain and undrain', async () => {
    await open(v, 'Clouds', 'Clouds');
    const row = v.page.locator(`tr[data-cloud="${cloud}"]`);
    await row.getByText('healthy').waitFor();
    await row.getByRole('button', { name: `Drain ${cloud}` }).click();
    await row.getByRole('button', { name: `Undrain ${cloud}` }).waitFor();
    await settle(v, '09-clouds-drained');
    await row.getByRole('button', { name: `Undrain ${cloud}` }).click();
    await row.getByRole('button', { name: `Drain ${cloud}` }).waitFor();
    expect(v.console.take()).toEqual([]);
  }, 120_000);

  it('lists users and adds one', async () => {
    await open(v, 'Users', 'Users');
    await v.page.locator(`tr[data-user="${scientist.name}"]`).waitFor();
    await v.page.getByLabel('User name').fill('grace');
    await v.page.getByLabel('Password').fill('hopper-cobol-1959');
    await v.page.getByRole('button', { name: 'Add user' }).click();
    await v.page.locator('tr[data-user="grace"]').waitFor();
    await settle(v, '10-users');
  }, 60_000);

  it('shows the usage feed with the scientist\'s allocation, release and the resize', async () => {
    await open(v, 'Usage', 'Usage');
    const feed = v.page.getByRole('table', { name: 'Usage events, newest first' });
    for (const event of ['allocated', 'released', 'resized']) {
      await feed.locator(`.event-${event}`).first().waitFor({ timeout: 60_000 });
    }
    await settle(v, '11-usage');
  }, 120_000);

  it('shows every service instance with its health checks, and the pool manager leading', async () => {
    await open(v, 'Services', 'Services');
    const leader = v.page.locator('tr[data-service="pool-manager"][data-role="leading"]');
    await leader.waitFor();
    await leader.getByText(/^leading; last pass/).waitFor();
    await v.page.locator('tr[data-service="gateway"]').first().waitFor();
    await v.page.getByRole('status').filter({ hasText: 'NATS connected' }).waitFor();
    await settle(v, '12-services');
  }, 60_000);
});

describe('portal - with nothing warm, a request waits in the queue and then gets its machine', () => {
  let v: Visit;

  beforeAll(async () => {
    // 1. no more warm machines: min ready 0, and once the refill has booted, grace takes what is ready
    expect((await call(adminToken, 'PATCH', `/pools/${type}/${cloud}`, { minReady: 0 })).status).toBe(200);
    await waitFor(async () => {
      const counts = await poolCounts();
      return counts && counts.launching + counts.booting === 0;
    }, { what: 'no machine launching or booting', timeoutMs: 180_000, intervalMs: 500 });
    const grace = await apiToken(gateway.url, 'grace', 'hopper-cobol-1959');
    const sshPublicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    for (let ready = (await poolCounts())?.ready ?? 0; ready > 0; ready--) {
      expect((await call(grace, 'POST', '/machines', { type, sshPublicKey })).status).toBe(201);
    }
    expect((await poolCounts())?.ready).toBe(0);
    // 2. the scientist signs in again
    v = await visit();
    await signIn(v, scientist.name, scientist.password);
  }, 300_000);
  afterAll(async () => {
    await v?.context.close();
  });

  it('shows the queue position, then the connection card, and the machine takes the ssh login', async () => {
    await v.page.getByRole('button', { name: `Request an ${type} machine` }).click();
    await v.page.getByRole('heading', { name: `Your ${type} machine is ready` }).waitFor({ timeout: 180_000 });
    expect(await v.page.getByRole('list', { name: 'What happened' }).textContent()).toMatch(/queued: position 1/);
    const stages = v.page.locator('.stages li');
    expect(await stages.evaluateAll((items) => items.map((li) => li.getAttribute('data-state')))).toEqual(['done', 'done', 'done', 'done']);
    await settle(v, '13-request-queued');
    expect(await loginWith(await v.page.getByLabel('Connect with').inputValue())).toBe(scientist.name);
  }, 240_000);
});

describe('portal - an idle machine carries the reclaim warning', () => {
  let v: Visit;

  beforeAll(async () => {
    v = await visit();
    await signIn(v, scientist.name, scientist.password);
  });
  afterAll(async () => {
    await v?.context.close();
  });

  it('shows the warning on My machines as soon as the pool manager warns', async () => {
    await open(v, 'My machines', 'My machines');
    const ada = await apiToken(gateway.url, scientist.name, scientist.password, 'reclaim');
    await waitFor(async () => ((await call<{ types: { name: string; ready: number }[] }>(ada, 'GET', '/machine-types')).body.types.find((t) => t.name === 'short')?.ready ?? 0) > 0, {
      what: 'a warm short machine',
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    const served = await call<{ machine: { id: string } }>(ada, 'POST', '/machines', { type: 'short' });
    expect(served.status).toBe(201);
    // the page was open before the machine existed: the card and then the warning arrive live
    const card = v.page.locator(`section.connection[data-machine="${served.body.machine.id}"]`);
    await card.getByText('will be reclaimed at ').waitFor({ timeout: 120_000 });
    await v.page.getByRole('status').getByText(`${served.body.machine.id} has been idle and will be reclaimed at `).waitFor();
    // and the API says when, as the warning did
    const listed = await call<{ machines: { id: string; warnedAt?: number; reclaimAt?: number }[] }>(ada, 'GET', '/machines');
    const warned = listed.body.machines.find((m) => m.id === served.body.machine.id);
    expect(warned?.reclaimAt).toBe((warned?.warnedAt ?? 0) + 10 * 60_000);
    await settle(v, '14-reclaim-warning');
  }, 300_000);
});
