import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth, connectBus, HearthError, request, subjects, type Bus, type MachineRecord } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { createLogger } from '@hearth/log';
import { analysisImage, docker, removeByLabel } from '../helpers/docker-image.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { userKey } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

// kill -9 of the pool manager (a real process) at awkward moments, then a restart:
// no machine is given to two requests, every request ends, and no instance leaks.
const main = resolve(import.meta.dirname, '..', '..', 'services', 'pool-manager', 'dist', 'main.js');
const installation = `k${randomBytes(4).toString('hex')}`;
let nats: TestNatsServer;
let bus: Bus;
let dataDir: string;
let args: string[];
let child: ChildProcess | undefined;

async function startManager(): Promise<void> {
  const proc = spawn(process.execPath, [main, ...args], { stdio: 'ignore' });
  child = proc;
  await waitFor(async () => (await checkHealth(bus, { service: 'pool-manager', maxWaitMs: 300 })).some((h) => h.pid === proc.pid && h.healthy), {
    what: 'pool manager process healthy',
    timeoutMs: 20_000,
  });
}

function kill(): void {
  child?.kill('SIGKILL');
  child = undefined;
}

const records = async (): Promise<MachineRecord[]> => (await request(bus, subjects.machines.list, {})).machines;

/** Every container of this installation has a record, and every record with a cloud id has its container. */
async function noLeaks(): Promise<boolean> {
  const containers = await docker().listContainers({ all: true, filters: { label: [`${OwnerTag.Installation}=${installation}`] } });
  const ids = new Set(containers.map((c) => c.Id));
  const known = new Set((await records()).flatMap((r) => (r.cloudRef ? [r.cloudRef] : [])));
  return [...ids].every((id) => known.has(id)) && [...known].every((id) => ids.has(id));
}

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'kill-test', log: createLogger({ service: 'test', level: 'silent' }) });
  dataDir = await mkdtemp(join(tmpdir(), 'hearth-kill-'));
  const image = await analysisImage();
  args = [
    `installation=${installation}`,
    `dataDir=${dataDir}`,
    `nats.url=${nats.url}`,
    'log.level=warn',
    'poolManager.metricsPort=0',
    'poolManager.reconcileIntervalMs=200',
    'poolManager.leakSweepIntervalMs=300',
    'machineTypes[0].name=analysis',
    'machineTypes[0].cpus=1',
    'machineTypes[0].memoryMb=256',
    `machineTypes[0].images.default=${image}`,
    'clouds[0].name=docker-kill',
    'clouds[0].driver=docker',
    'clouds[0].region=local',
    'clouds[0].network=hearth-kill',
    'pools[0].type=analysis',
    'pools[0].cloud=docker-kill',
    'pools[0].minReady=3',
    'pools[0].max=10',
  ].flatMap((s) => ['--set', s]);
}, 600_000);

afterAll(async () => {
  kill();
  await bus?.close();
  await removeByLabel(`${OwnerTag.Installation}=${installation}`);
  await nats?.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

describe('pool manager killed with SIGKILL', () => {
  it('recovers from a kill in the middle of launching, without leaking instances', async () => {
    await startManager();
    await waitFor(async () => (await records()).some((r) => r.state === 'launching' || r.state === 'booting'), { what: 'launches under way', timeoutMs: 20_000, intervalMs: 10 });
    kill();
    await startManager();
    await waitFor(async () => (await records()).filter((r) => r.state === 'ready').length >= 3, { what: '3 ready after restart', timeoutMs: 60_000, intervalMs: 200 });
    await waitFor(noLeaks, { what: 'containers and records agree', timeoutMs: 20_000, intervalMs: 300 });
  }, 120_000);

  it('ends every request and never gives one machine to two, when killed under concurrent requests', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `user${i}`);
    const outcomes = users.map((user) =>
      request(bus, subjects.machines.allocate, { type: 'analysis', user, sshPublicKey: userKey, waitMs: 8_000 }, { timeoutMs: 10_000 }).then(
        (reply) => ({ user, reply }),
        (err: unknown) => ({ user, error: err instanceof HearthError ? err.code : String(err) }),
      ),
    );
    // let some be served and others be mid-way, then kill
    await Promise.race(outcomes);
    kill();
    const settled = await Promise.all(outcomes);
    const served = settled.flatMap((o) => ('reply' in o ? [o] : []));
    expect(served.length + settled.filter((o) => 'error' in o).length).toBe(users.length);
    expect(new Set(served.map((s) => s.reply.machineId)).size).toBe(served.length);

    await startManager();
    const after = await records();
    for (const { user, reply } of served) {
      const record = after.find((r) => r.id === reply.machineId);
      expect(record?.user).toBe(user);
    }
    // each allocated machine has exactly one user, and no two records share an instance
    const refs = after.flatMap((r) => (r.cloudRef ? [r.cloudRef] : []));
    expect(new Set(refs).size).toBe(refs.length);
    await waitFor(noLeaks, { what: 'containers and records agree after restart', timeoutMs: 20_000, intervalMs: 300 });
    // and it serves again
    const again = await request(bus, subjects.machines.allocate, { type: 'analysis', user: 'late', sshPublicKey: userKey, waitMs: 30_000 }, { timeoutMs: 35_000 });
    expect(again.machineId).toBeTruthy();
  }, 120_000);
});
