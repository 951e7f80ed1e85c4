import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startGateway, type MachineView, type TestGateway } from '../helpers/gateway.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, simCloud, startPoolManager, userKey, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

type Result = CliResult;

/** Runs `hearth args…` as `home`'s user, with `input` on stdin and `env` on top (no HEARTH_URL, HEARTH_TOKEN or HEARTH_CONFIG unless given). */
function runHearth(home: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return runCli(args, {
    ...(opts.input === undefined ? {} : { input: opts.input }),
    env: { HEARTH_URL: undefined, HEARTH_TOKEN: undefined, HEARTH_CONFIG: undefined, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...opts.env },
  });
}

const json = <T>(r: Result): T => {
  if (r.code !== 0) throw new Error(`hearth exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** `--json` prints machines as the API shows them. */
type MachineJson = MachineView;

describe('hearth user and admin verbs against a real gateway, pool manager and nats-server', () => {
  let nats: TestNatsServer;
  let pm: TestPoolManager;
  let gateway: TestGateway;
  let dir: string;
  /** The administrator's home (own credentials file) and a scientist's. */
  let adminHome: string;
  let adaHome: string;
  const admin = (args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<Result> => runHearth(adminHome, args, opts);
  const ada = (args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<Result> => runHearth(adaHome, args, opts);

  beforeAll(async () => {
    nats = await startNatsServer();
    pm = await startPoolManager(nats.url, [
      ...simCloud(0, 'sim-a'),
      ...simCloud(1, 'sim-b'),
      ...machineType(0, 'analysis'),
      ...pool(0, 'analysis', 'sim-a', 2, 6),
      ...pool(1, 'analysis', 'sim-b', 0, 4),
    ]);
    gateway = await startGateway({ natsUrl: nats.url, set: [`installation=${pm.installation}`] });
    dir = await mkdtemp(join(tmpdir(), 'hearth-cli-api-'));
    adminHome = join(dir, 'admin');
    adaHome = join(dir, 'ada');
    await mkdir(join(adaHome, '.ssh'), { recursive: true });
    await mkdir(adminHome, { recursive: true });
    await writeFile(join(adaHome, '.ssh', 'id_ed25519.pub'), `${userKey}\n`);
    await waitFor(() => pm.running.engine.machines.ready('analysis').next().done === false, { what: 'a warm analysis machine', timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await gateway?.stop();
    await pm?.cleanup();
    await nats?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in with --password-stdin and keeps the token in a file only its owner can read', async () => {
    const r = await admin(['login', '--url', gateway.url, '--user', 'admin', '--password-stdin', '--json'], { input: `${gateway.adminPassword}\n` });
    expect(r.stderr).toBe('');
    expect(json<{ user: string; role: string }>(r)).toMatchObject({ user: 'admin', role: 'admin' });
    const file = join(adminHome, '.config', 'hearth', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong password with one line and exit code 4', async () => {
    const r = await runHearth(join(dir, 'nobody'), ['login', '--url', gateway.url, '--user', 'admin', '--password-stdin'], { input: 'wrong\n' });
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: logging in: .*\(401, request [\w-]+\)$/m);
    expect(existsSync(join(dir, 'nobody', '.config', 'hearth', 'credentials.json'))).toBe(false);
  });

  it('adds a scientist, who logs in', async () => {
    const added = await admin(['users', 'add', 'ada', '--role', 'scientist', '--password-stdin', '--json'], { input: 'ada-secret-1\n' });
    expect(json<{ name: string; role: string }>(added)).toMatchObject({ name: 'ada', role: 'scientist' });
    const list = json<{ users: { name: string; role: string; disabled: boolean }[] }>(await admin(['users', 'list', '--json']));
    expect(list.users).toContainEqual(expect.objectContaining({ name: 'ada', role: 'scientist', disabled: false }));
    const login = await ada(['login', '--url', gateway.url, '--user', 'ada', '--password-stdin'], { input: 'ada-secret-1' });
    expect(login.stderr).toBe('');
    expect(login.stdout).toContain(`Logged in to ${gateway.url} as ada (scientist).`);
  });

  it('lists machine types with their warm counts', async () => {
    const { types } = json<{ types: { name: string; ready: number; warm: Record<string, number> }[] }>(await ada(['machines', 'types', '--json']));
    const analysis = types.find((t) => t.name === 'analysis');
    expect(analysis?.ready).toBeGreaterThan(0);
    expect(analysis?.warm['sim-a']).toBeGreaterThan(0);
    const table = await ada(['machines', 'types']);
    expect(table.stdout).toMatch(/^TYPE\s+CPUS\s+MEMORY/);
    expect(table.stdout).toMatch(/^analysis\s+1\s+0\.5 GiB/m);
  });

  it('requests a warm machine with the key from ~/.ssh, lists it and releases it', async () => {
    const machine = json<MachineJson>(await ada(['machines', 'request', 'analysis', '--json']));
    expect(machine).toMatchObject({ type: 'analysis', user: 'ada', state: 'allocated' });
    expect(machine.connect).toMatchObject({ user: 'ada', port: expect.any(Number) as number, host: expect.any(String) as string });
    expect(machine.sshCommand).toContain(`ada@${machine.connect.host}`);

    const { machines } = json<{ machines: MachineJson[] }>(await ada(['machines', 'list', '--json']));
    expect(machines.map((m) => m.id)).toContain(machine.id);
    const table = await ada(['machines', 'list']);
    expect(table.stdout).toContain(machine.id);
    expect(table.stdout).toContain(machine.sshCommand);

    const released = await ada(['machines', 'release', machine.id]);
    expect(released).toMatchObject({ code: 0, stdout: `Released ${machine.id}.\n` });
    const again = await ada(['machines', 'release', machine.id]);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(new RegExp(`^error: releasing machine ${machine.id}: .*\\(404, request [\\w-]+\\)\\n$`));
  });

  it('says what is wrong with bad input, before or after asking the server', async () => {
    const unknownType = await ada(['machines', 'request', 'no-such-type']);
    expect([1, 5]).toContain(unknownType.code);
    expect(unknownType.stderr).toMatch(/^error: requesting a no-such-type machine: .*no-such-type/);

    const privateKey = join(adaHome, 'id_test');
    await writeFile(privateKey, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    const wrongKey = await ada(['machines', 'request', 'analysis', '--ssh-key', privateKey]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain(`that is a private key, give the public one (${privateKey}.pub)`);

    const notANumber = await admin(['pools', 'resize', 'analysis', '--cloud', 'sim-a', '--max', 'lots']);
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain("option '--max <n>' argument 'lots' is invalid. expected a whole number, 0 or more");

    const nothing = await admin(['pools', 'resize', 'analysis', '--cloud', 'sim-a']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('say what to change');

    const unknownVerb = await admin(['machines', 'explode']);
    expect(unknownVerb.code).toBe(2);
  });

  it('keeps admin verbs from scientists', async () => {
    const r = await ada(['pools', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: listing pools: .*\(403, request [\w-]+\); this needs the admin role\n$/);
  });

  it('lists and resizes pools, and refuses min ready above max', async () => {
    const { pools } = json<{ pools: { settings: { type: string; cloud: string; minReady: number; max: number } }[] }>(await admin(['pools', 'list', '--json']));
    expect(pools.map((p) => `${p.settings.type}/${p.settings.cloud}`).sort()).toEqual(['analysis/sim-a', 'analysis/sim-b']);
    const resized = json<{ minReady: number; max: number; weight: number; changedBy: string }>(
      await admin(['pools', 'resize', 'analysis', '--cloud', 'sim-b', '--min-ready', '1', '--max', '5', '--weight', '2', '--json']),
    );
    expect(resized).toMatchObject({ minReady: 1, max: 5, weight: 2, changedBy: 'admin' });
    const table = await admin(['pools', 'list']);
    expect(table.stdout).toMatch(/^analysis\s+sim-b\s+1\s+5\s+2\s/m);

    const conflict = await admin(['pools', 'resize', 'analysis', '--cloud', 'sim-b', '--min-ready', '9']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^error: resizing pool analysis on sim-b: .*minReady.*\(409, request [\w-]+\)\n$/);
    const unknownCloud = await admin(['pools', 'resize', 'analysis', '--cloud', 'nowhere', '--max', '1']);
    expect([1, 5]).toContain(unknownCloud.code);
  });

  it('drains and undrains a cloud', async () => {
    const { clouds } = json<{ clouds: { name: string; drained: boolean; health: string }[] }>(await admin(['clouds', 'list', '--json']));
    expect(clouds.map((c) => c.name).sort()).toEqual(['sim-a', 'sim-b']);
    const drained = json<{ name: string; drained: boolean }>(await admin(['clouds', 'drain', 'sim-b', '--json']));
    expect(drained).toMatchObject({ name: 'sim-b', drained: true });
    expect((await admin(['clouds', 'list'])).stdout).toMatch(/^sim-b\s+sim\s+local\s+\w+\s+yes/m);
    const undrained = await admin(['clouds', 'undrain', 'sim-b']);
    expect(undrained).toMatchObject({ code: 0, stdout: 'Cloud sim-b undrained: its pools launch there again.\n' });
    expect((await admin(['clouds', 'drain', 'no-such-cloud'])).code).toBe(5);
  });

  it('changes a role, and a disabled user is logged out at once (exit 4)', async () => {
    const promoted = json<{ role: string }>(await admin(['users', 'role', 'ada', 'admin', '--json']));
    expect(promoted.role).toBe('admin');
    expect((await ada(['pools', 'list'])).code).toBe(0);
    expect((await admin(['users', 'role', 'ada', 'chief'])).code).toBe(2);

    const disabled = await admin(['users', 'disable', 'ada']);
    expect(disabled.code).toBe(0);
    const refused = await ada(['machines', 'list']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^error: listing machines: .*\(401, request [\w-]+\); log in again: hearth login --url http:\/\/127\.0\.0\.1:\d+ --user NAME\n$/);
  });

  it('logs out: the token is revoked on the server and the file is gone', async () => {
    const file = join(adminHome, '.config', 'hearth', 'credentials.json');
    const { token } = JSON.parse(await readFile(file, 'utf8')) as { token: string };
    const out = await admin(['logout']);
    expect(out).toMatchObject({ code: 0, stdout: `Logged out of ${gateway.url} (admin).\n` });
    expect(existsSync(file)).toBe(false);

    const notLoggedIn = await admin(['machines', 'list']);
    expect(notLoggedIn.code).toBe(4);
    expect(notLoggedIn.stderr).toBe('error: not logged in; run: hearth login --url URL --user NAME (or set HEARTH_URL and HEARTH_TOKEN)\n');

    const revoked = await admin(['pools', 'list'], { env: { HEARTH_URL: gateway.url, HEARTH_TOKEN: token } });
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toContain('(401, request');
  });
});
