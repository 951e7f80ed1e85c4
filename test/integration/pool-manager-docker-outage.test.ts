import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, subjects } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { analysisImage, removeByLabel } from '../helpers/docker-image.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, startPoolManager, userKey, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';
import { startDockerSocketProxy, type DockerSocketProxy } from '../fakes/docker/socket-proxy.js';

// The Docker engine goes away and comes back (a proxy in front of its socket cuts every
// connection): the pool manager keeps serving what is ready, and refills by itself after.
let nats: TestNatsServer;
let pm: TestPoolManager;
let proxy: DockerSocketProxy;
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), 'hearth-outage-'));
  proxy = await startDockerSocketProxy(join(dir, 'docker.sock'));
  const image = await analysisImage();
  pm = await startPoolManager(nats.url, [
    ...machineType(0, 'analysis', [`images.default=${image}`, 'memoryMb=256']),
    'clouds[0].name=docker-outage',
    'clouds[0].driver=docker',
    'clouds[0].region=local',
    'clouds[0].network=hearth-outage',
    `clouds[0].socketPath=${proxy.path}`,
    'clouds[0].requestTimeoutMs=2000',
    ...pool(0, 'analysis', 'docker-outage', 2, 6),
  ]);
}, 600_000);

afterAll(async () => {
  await proxy?.up().catch(() => undefined);
  await pm?.cleanup();
  if (pm) await removeByLabel(`${OwnerTag.Installation}=${pm.installation}`);
  await proxy?.close();
  await nats?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const ready = async (): Promise<number> => (await request(pm.bus, subjects.machines.list, { state: 'ready' })).machines.length;

async function failedLaunches(): Promise<number> {
  const metric = await pm.running.engine.metrics.launches.get();
  return metric.values.filter((v) => v.labels['outcome'] !== 'ok').reduce((sum, v) => sum + v.value, 0);
}

describe('Docker engine stopped and started again', () => {
  it('keeps handing out ready machines while the engine is down, then refills the pool by itself', async () => {
    await waitFor(async () => (await ready()) === 2, { what: '2 ready', timeoutMs: 60_000, intervalMs: 200 });
    await proxy.down();

    // ready machines run on; personalization goes over SSH, not through the engine
    const reply = await request(pm.bus, subjects.machines.allocate, { type: 'analysis', user: 'ada', sshPublicKey: userKey }, { timeoutMs: 20_000 });
    expect(reply.warm).toBe(true);
    // the refill fails while the engine is away, and the service stays up
    await waitFor(async () => (await failedLaunches()) > 0, { what: 'a failed launch while the engine is down', timeoutMs: 20_000 });
    const health = await request(pm.bus, subjects.health.check, { service: 'pool-manager' });
    expect(health.healthy).toBe(true);

    await proxy.up();
    await waitFor(async () => (await ready()) === 2, { what: 'pool refilled after the engine came back', timeoutMs: 90_000, intervalMs: 250 });
  }, 180_000);
});
