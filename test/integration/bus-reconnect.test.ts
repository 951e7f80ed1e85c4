import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, connectBus, ensureStorage, openKv, type Bus, type HealthReport } from '@hearth/bus';
import { loadConfig } from '@hearth/config';
import { GatewayConfig, start } from '@hearth/gateway';
import { createLogger } from '@hearth/log';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { apiToken } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const log = createLogger({ service: 'test', level: 'silent' });
let nats: TestNatsServer;
let gateway: Awaited<ReturnType<typeof start>>;
const adminPassword = 'reconnect-admin-password';
let adminToken: string;

interface Status {
  nats: { connected: boolean; server: string };
  healthy: boolean;
  services: HealthReport[];
}

beforeAll(async () => {
  nats = await startNatsServer();
  const config = loadConfig(GatewayConfig, { set: [`nats.url=${nats.url}`, 'gateway.port=0'] });
  gateway = await start({ config, log, adminPassword });
  // the status's details (which instance, its addresses) are for admins
  adminToken = await apiToken(gateway.url, 'admin', adminPassword);
});
afterAll(async () => {
  // a failed test may leave the server down, and the gateway drains over NATS
  if (nats && nats.pid === -1) await nats.restart();
  await gateway?.stop();
  await nats?.cleanup();
});

async function status(): Promise<Status> {
  const res = await fetch(`${gateway.url}/api/v1/status`, { headers: { authorization: `Bearer ${adminToken}` } });
  return (await res.json()) as Status;
}

async function healthz(): Promise<number> {
  return (await fetch(`${gateway.url}/healthz`)).status;
}

/** The status once the gateway is connected, healthy and lists itself. */
async function waitUntilHealthy(what: string): Promise<Status> {
  return waitFor(
    async () => {
      const s = await status();
      return s.healthy && s.nats.connected && s.services.some((r) => r.name === 'gateway' && r.healthy) ? s : undefined;
    },
    { what, timeoutMs: 20_000 },
  );
}

/** Stops nats-server and checks the gateway notices and keeps answering HTTP meanwhile. */
async function stopNatsAndSeeGatewayNotice(kill: boolean): Promise<void> {
  await nats.stop({ kill });
  await waitFor(async () => (await healthz()) === 503, { what: 'GET /healthz to answer 503 while NATS is down' });
  const down = await status();
  expect(down.nats.connected).toBe(false);
  expect(down.healthy).toBe(false);
  expect(down.services).toEqual([]);
}

describe('services under a restarted nats-server', () => {
  it('reports the gateway healthy at first', async () => {
    const s = await waitUntilHealthy('the gateway to list itself as healthy');
    const report = s.services.find((r) => r.name === 'gateway');
    expect(report?.urls?.['portal']).toBe(gateway.url);
    expect(await healthz()).toBe(200);
  });

  it('reconnects and carries on after nats-server stops and starts again', async () => {
    const before = await waitUntilHealthy('the gateway healthy before the restart');
    const id = before.services.find((r) => r.name === 'gateway')?.id;

    // 1. stop cleanly: the gateway notices and says so
    await stopNatsAndSeeGatewayNotice(false);
    // 2. start again on the same port and store: the same instance rejoins
    await nats.restart();
    const after = await waitUntilHealthy('the gateway healthy after a clean restart');
    expect(after.services.find((r) => r.name === 'gateway')?.id).toBe(id);
    expect(await healthz()).toBe(200);
  });

  it('reconnects and carries on after nats-server is killed', async () => {
    await waitUntilHealthy('the gateway healthy before the kill');
    await stopNatsAndSeeGatewayNotice(true);
    await nats.restart();
    await waitUntilHealthy('the gateway healthy after SIGKILL and restart');
  });
});

describe('JetStream data across a crash', () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: nats.url, name: 'writer', log });
  });
  afterAll(async () => {
    await bus?.close();
  });

  it('keeps an acknowledged KV write after nats-server is killed (sync_interval: always)', async () => {
    const Cloud = Type.Object({ driver: Type.String(), drained: Type.Boolean() });
    await ensureStorage(bus);
    const clouds = await openKv(bus, buckets.clouds, Cloud);
    const revision = await clouds.put('north', { driver: 'openstack', drained: false });

    await nats.stop({ kill: true });
    await waitFor(() => !bus.isConnected(), { what: 'the writer to notice NATS is gone' });
    await nats.restart();

    const entry = await waitFor(async () => (bus.isConnected() ? clouds.get('north') : undefined), {
      what: 'clouds/north to be readable after the restart',
      timeoutMs: 20_000,
    });
    expect(entry).toEqual({ key: 'north', value: { driver: 'openstack', drained: false }, revision });
    // and the bucket takes writes again
    const next = await clouds.update('north', { driver: 'openstack', drained: true }, revision);
    expect(next).toBeGreaterThan(revision);
  });
});
