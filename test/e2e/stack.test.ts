import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '@hearth/cli';
import { freePort, startNatsServer } from '@hearth/testkit';
import { hearthCli as cli, runCli, type CliResult } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';

/** The built `hearth`, on the defaults: no HEARTH_CONFIG or HEARTH_DATA_DIR from the caller. */
function hearth(args: string[]): Promise<CliResult> {
  return runCli(args, { env: { HEARTH_CONFIG: undefined, HEARTH_DATA_DIR: undefined } });
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('hearth up / status / down', () => {
  let dir: string;
  let stack: string[];
  let gatewayPort: number;

  const status = async (): Promise<StatusReport> => JSON.parse((await hearth(['status', '--json', ...stack])).stdout) as StatusReport;
  const allHealthy = (s: StatusReport): boolean => s.running && s.nats.healthy && s.services.every((x) => x.healthy);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-stack-'));
    gatewayPort = await freePort();
    stack = [
      '--data-dir', join(dir, 'data'),
      '--set', `nats.server.port=${await freePort()}`,
      '--set', `nats.server.monitorPort=${await freePort()}`,
      '--set', `gateway.port=${gatewayPort}`,
      '--set', `poolManager.metricsPort=${await freePort()}`,
    ];
  });

  afterAll(async () => {
    await hearth(['down', ...stack]);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts nats-server and every service in the background and reports them healthy', async () => {
    const up = await hearth(['up', '--detach', '--no-docker', '--no-install', ...stack]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`http://127.0.0.1:${gatewayPort}`);

    const report = await status();
    expect(allHealthy(report)).toBe(true);
    expect(report.portal).toBe(`http://127.0.0.1:${gatewayPort}`);
    expect(report.services.map((s) => s.name)).toContain('gateway');
    expect(report.nats.version).toMatch(/^\d+\.\d+\.\d+$/);

    const api = (await (await fetch(`${report.portal}/api/v1/status`)).json()) as { healthy: boolean };
    expect(api.healthy).toBe(true);
  });

  it('says so instead of starting twice', async () => {
    const before = await status();
    const again = await hearth(['up', '--detach', '--no-docker', '--no-install', ...stack]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already running/);
    expect((await status()).supervisorPid).toBe(before.supervisorPid);
  });

  it('restarts a crashed service and counts the restart', async () => {
    const before = await status();
    const gateway = before.services.find((s) => s.name === 'gateway');
    process.kill(gateway?.pid ?? -1, 'SIGKILL');
    const after = await waitFor(
      async () => {
        const s = await status();
        const g = s.services.find((x) => x.name === 'gateway');
        return g?.healthy && g.restarts === 1 && g.pid !== gateway?.pid ? s : undefined;
      },
      { what: 'gateway restarted and healthy', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(allHealthy(after)).toBe(true);
  });

  it('restarts nats-server after a crash, and the services carry on', async () => {
    const before = await status();
    process.kill(before.nats.pid ?? -1, 'SIGKILL');
    await waitFor(
      async () => {
        const s = await status();
        return s.nats.restarts === 1 && s.nats.pid !== before.nats.pid && allHealthy(s);
      },
      { what: 'nats-server restarted with every service healthy', timeoutMs: 20_000, intervalMs: 200 },
    );
    const api = (await (await fetch(`http://127.0.0.1:${gatewayPort}/api/v1/status`)).json()) as { healthy: boolean };
    expect(api.healthy).toBe(true);
  });

  it('shows the logs of one service, and names the services it has logs for', async () => {
    const gateway = await hearth(['logs', 'gateway', '-n', '500', ...stack]);
    expect(gateway.code).toBe(0);
    expect(gateway.stdout).toContain('gateway listening');
    const unknown = await hearth(['logs', 'nope', ...stack]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no log for "nope"; expected one of: .*gateway/);
  });

  it('stops every process it started on down', async () => {
    const before = await status();
    const pids = [before.supervisorPid, before.nats.pid, ...before.services.map((s) => s.pid)];
    expect(pids.every(alive)).toBe(true);
    const down = await hearth(['down', ...stack]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('Hearth stopped.');
    expect(pids.filter(alive)).toEqual([]);
    expect((await hearth(['status', ...stack])).code).toBe(3);
  });

  it('runs in the foreground and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [cli, 'up', '--no-docker', '--no-install', ...stack], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitFor(() => out.includes('Press Ctrl-C'), { what: 'foreground stack up', timeoutMs: 30_000 });
    const running = await status();
    const pids = [running.nats.pid, ...running.services.map((s) => s.pid)];
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Hearth stopped.');
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('hearth up with nats.url', () => {
  it('joins that NATS instead of running its own, and leaves it running on down', async () => {
    await using nats = await startNatsServer();
    const dir = await mkdtemp(join(tmpdir(), 'hearth-external-'));
    try {
      const stack = ['--data-dir', join(dir, 'data'), '--set', `nats.url=${nats.url}`, '--set', `gateway.port=${await freePort()}`, '--set', 'poolManager.metricsPort=0'];
      const up = await hearth(['up', '--detach', '--no-docker', '--no-install', ...stack]);
      expect(up.code).toBe(0);
      const report = JSON.parse((await hearth(['status', '--json', ...stack])).stdout) as StatusReport;
      expect(report.nats).toMatchObject({ url: nats.url, version: 'external', healthy: true });
      expect(report.services.every((s) => s.healthy)).toBe(true);
      expect((await hearth(['down', ...stack])).code).toBe(0);
      expect(alive(nats.pid)).toBe(true);
    } finally {
      await hearth(['down', '--data-dir', join(dir, 'data')]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hearth up refuses bad input before starting anything', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-bad-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 on an invalid hearth.yaml, naming file, line, path and what was expected', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'nats:\n  server:\n    port: lots\ngateway:\n  port: 70000\nlog:\n  level: loud\n');
    const up = await hearth(['up', '--no-docker', '--no-install', '--config', config, '--data-dir', join(dir, 'a')]);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/bad\.yaml:3 nats\.server\.port: expected integer, got "lots"/);
    expect(up.stderr).toMatch(/bad\.yaml:7 log\.level: expected one of .*"info".*got "loud"/);
    expect(existsSync(join(dir, 'a', 'run', 'supervisor.pid'))).toBe(false);
  });

  it('checks each service\'s own section too', async () => {
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, 'gateway:\n  port: 70000\n  hots: x\n');
    const up = await hearth(['up', '--no-docker', '--no-install', '--config', config, '--data-dir', join(dir, 'b')]);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/gateway\.yaml:2 gateway\.port: expected <= 65535, got 70000/);
    expect(up.stderr).toMatch(/gateway\.yaml:3 gateway\.hots: unknown key \(expected one of: host, port/);
  });

  it('exits 1 with one line when a port is taken, leaving nothing running', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(port, '127.0.0.1', done));
    try {
      const data = join(dir, 'c');
      const up = await hearth(['up', '--no-docker', '--no-install', '--data-dir', data, '--set', `gateway.port=${port}`, '--set', 'poolManager.metricsPort=0',
        '--set', `nats.server.port=${await freePort()}`, '--set', `nats.server.monitorPort=${await freePort()}`]);
      expect(up.code).toBe(1);
      expect(up.stderr.trim()).toBe(`error: port ${port} on 127.0.0.1 is already in use; set gateway.port in hearth.yaml or stop what holds it`);
      expect(existsSync(join(data, 'run', 'supervisor.pid'))).toBe(false);
      expect(existsSync(join(data, 'run', 'state.json'))).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('exits 1 with one line when the data directory cannot be written', async () => {
    const up = await hearth(['up', '--no-docker', '--no-install', '--data-dir', '/proc/hearth-data']);
    expect(up.code).toBe(1);
    expect(up.stderr.trim()).toMatch(/^error: data directory \/proc\/hearth-data is not writable \(\w+\)/);
  });

  it('names nats-server and how to install it when it is missing', async () => {
    const up = await hearth(['up', '--no-docker', '--no-install', '--data-dir', join(dir, 'd'), '--set', 'nats.server.binary=/nonexistent/nats-server']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/^error: nats-server 2\.10\.23 or newer is not installed \(looked for "\/nonexistent\/nats-server"\)/);
    expect(up.stderr).toContain('apt-get install -t trixie nats-server');
  });
});
