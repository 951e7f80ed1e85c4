import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, checkHealth, CloudStatus, connectBus, ensureStorage, LeaseRecord, openKv, request, subjects, type HealthReport, type MachineRecord } from '@hearth/bus';
import { createLogger } from '@hearth/log';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, simCloud, startPoolManager, userKey, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

// Replicas of one installation on one NATS: the one holding the KV lease serves and
// reconciles, the others stand by and take over when it stops, is cut off, or is gone.

let nats: TestNatsServer;

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await nats?.cleanup();
});

/** One type on one sim cloud `<prefix>-a`, 3 ready, and a lease of `ttl`. */
const settings = (prefix: string, ttl: string): string[] => [
  ...machineType(0, 'analysis'),
  ...simCloud(0, `${prefix}-a`),
  ...pool(0, 'analysis', `${prefix}-a`, 3, 10),
  `poolManager.leaseTtlMs=${ttl}`,
];

const machines = async (pm: TestPoolManager, state?: MachineRecord['state']): Promise<MachineRecord[]> =>
  (await request(pm.bus, subjects.machines.list, state ? { state } : {})).machines;
const allocate = (pm: TestPoolManager, user: string, waitForResponderMs = 0) =>
  request(pm.bus, subjects.machines.allocate, { type: 'analysis', user, sshPublicKey: userKey }, { timeoutMs: 20_000, waitForResponderMs });
const leaseKey = (pm: TestPoolManager): string => `pool-manager.${pm.installation}`;

/** Polls both replicas' roles every 5 ms and notes when each changed. */
function watchRoles(a: TestPoolManager, b: TestPoolManager): { aStandbyAt?: number; bLeaderAt?: number; stop(): void } {
  const sample = (): void => {
    const now = performance.now();
    if (seen.aStandbyAt === undefined && a.running.role === 'standby') seen.aStandbyAt = now;
    if (seen.bLeaderAt === undefined && b.running.role === 'leader') seen.bLeaderAt = now;
  };
  const seen: { aStandbyAt?: number; bLeaderAt?: number; stop(): void } = {
    stop: () => {
      clearInterval(timer);
      sample();
    },
  };
  const timer = setInterval(sample, 5);
  return seen;
}

describe('a standby replica', () => {
  let leader: TestPoolManager;
  let standby: TestPoolManager;

  beforeAll(async () => {
    // a long lease: whatever happens within the test's time happens without waiting it out
    leader = await startPoolManager(nats.url, settings('rs', '60s'));
    await waitFor(async () => (await machines(leader, 'ready')).length >= 3, { what: '3 ready' });
    standby = await leader.replica();
  });

  afterAll(async () => {
    await standby?.cleanup();
    await leader?.cleanup();
  });

  it('names the leader, serves nothing and reconciles nothing', async () => {
    expect(leader.running.role).toBe('leader');
    expect(standby.running.role).toBe('standby');
    expect(standby.running.lease.holder).toMatchObject({ holder: leader.running.lease.holder?.holder, pid: process.pid, host: hostname(), ttlMs: 60_000 });
    expect(() => standby.running.engine).toThrow(/standby/);
    // both answer the health check, each saying what it is
    const reports = await checkHealth(standby.bus, { service: 'pool-manager' });
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.map((r) => r.checks.find((c) => c.name === 'reconcile')?.detail).sort()).toEqual([
      expect.stringMatching(/^leading; last pass/),
      `standby; ${leader.running.lease.holder?.holder} on ${hostname()} (pid ${process.pid}) leads`,
    ]);
    // and /metrics: 1 on the leader, 0 on the standby
    const leaderGauge = async (url: string | undefined): Promise<string | undefined> => /^hearth_pool_manager_leader(?:\{[^}]*\})? (\d)$/m.exec(await (await fetch(url ?? '')).text())?.[1];
    expect((await Promise.all(reports.map((r) => leaderGauge(r.urls?.['metrics'])))).sort()).toEqual(['0', '1']);
    // every request is served by the leader
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await allocate(standby, `ada${i}`)).machineId);
    expect(ids.size).toBe(3);
    expect([...leader.running.engine.machines.ofUser('ada0')].length).toBe(1);
  });

  it('takes over at once when the leader stops cleanly, and hands out the machines it launched', async () => {
    await waitFor(async () => (await machines(leader, 'ready')).length >= 3, { what: 'the pool refilled' });
    // a resize made through the leader while the standby stood by must hold after the handover
    await request(leader.bus, subjects.pools.resize, { type: 'analysis', cloud: 'rs-a', minReady: 4, by: 'admin' });
    await waitFor(async () => (await machines(leader, 'ready')).length >= 4, { what: 'the pool at its new size' });
    const before = new Set((await machines(leader, 'ready')).map((m) => m.id));
    const roles = watchRoles(leader, standby);
    const stopping = leader.running.stop();
    // a request sent during the handover is answered, by one or the other (the gateway waits like this)
    const during = allocate(standby, 'hopper', 3_000);
    await stopping;
    // well within the 60 s lease: handed back, not waited out
    await standby.running.leading();
    expect((await during).machineId).toBeTruthy();
    roles.stop();
    expect(standby.running.role).toBe('leader');
    expect(roles.aStandbyAt).toBeLessThanOrEqual(roles.bLeaderAt ?? -1);
    const served = await allocate(standby, 'grace');
    expect(served.warm).toBe(true);
    expect(before.has(served.machineId)).toBe(true);
    // nothing the old leader made is lost; the new leader refills the pool
    const [settings] = (await request(standby.bus, subjects.pools.list, { type: 'analysis' })).pools;
    expect(settings?.settings).toMatchObject({ minReady: 4, changedBy: 'admin' });
    await waitFor(async () => (await machines(standby, 'ready')).length >= 4, { what: 'the pool refilled by the new leader to the resized target' });
    expect((await machines(standby, 'failed')).length).toBe(0);
    expect((await machines(standby, 'allocated')).map((m) => m.user).sort()).toEqual(['ada0', 'ada1', 'ada2', 'grace', 'hopper']);
    // the old handle restarts as a standby for cleanup
    await leader.restart();
    expect(leader.running.role).toBe('standby');
  });
});

describe('a leader cut off from NATS', () => {
  let leader: TestPoolManager;
  let standby: TestPoolManager;

  afterAll(async () => {
    await standby?.cleanup();
    await leader?.cleanup().catch(() => undefined);
  });

  it('steps down before the standby takes over, and the standby serves after the lease ran out', { timeout: 30_000 }, async () => {
    leader = await startPoolManager(nats.url, settings('rc', '2s'));
    await waitFor(async () => (await machines(leader, 'ready')).length >= 3, { what: '3 ready' });
    standby = await leader.replica();
    expect(standby.running.role).toBe('standby');
    const leaderBus = leader.running.engine.bus;
    const roles = watchRoles(leader, standby);
    // the leader's own connection goes: it can no longer renew, and stops serving
    await leaderBus.nc.close();
    await waitFor(() => roles.bLeaderAt !== undefined, { what: 'the standby leading', timeoutMs: 10_000 });
    roles.stop();
    expect(roles.aStandbyAt).toBeDefined();
    expect(roles.aStandbyAt ?? Infinity).toBeLessThan(roles.bLeaderAt ?? -Infinity);
    await standby.running.leading();
    expect((await allocate(standby, 'ada')).warm).toBe(true);
  });
});

describe('a leader whose lease is taken', () => {
  let pm: TestPoolManager;

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('stands by at its next renewal, then leads again once the taker lets the lease run out', { timeout: 40_000 }, async () => {
    pm = await startPoolManager(nats.url, settings('rt', '1s'));
    await waitFor(async () => (await machines(pm, 'ready')).length >= 3, { what: '3 ready' });
    const leases = await openKv(pm.bus, buckets.leases, LeaseRecord);
    const now = Date.now();
    await leases.put(leaseKey(pm), { holder: 'intruder', host: 'elsewhere', pid: 1, process: '', ttlMs: 5000, acquiredAt: now, renewedAt: now });
    await waitFor(() => pm.running.role === 'standby', { what: 'the leader standing by' });
    expect(pm.running.lease.holder?.holder).toBe('intruder');
    // nothing answers while the intruder "leads"
    await expect(request(pm.bus, subjects.machines.types, {}, { timeoutMs: 300 })).rejects.toThrow();
    // the intruder never renews: after its ttl (5 s) the replica leads and serves again
    await pm.running.leading();
    expect((await allocate(pm, 'ada')).warm).toBe(true);
    expect((await leases.get(leaseKey(pm)))?.value.holder).toBe(pm.running.lease.holder?.holder);
  });
});

describe('a replica that cannot take over', () => {
  let pm: TestPoolManager | undefined;

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('hands the lease back, says why in its health check, and leads once it can', { timeout: 30_000 }, async () => {
    // a stored cloud status that breaks its schema: restoring the cloud's health fails
    const bus = await connectBus({ servers: nats.url, name: 'replica-test', log: createLogger({ service: 'test', level: 'silent' }) });
    await ensureStorage(bus);
    const clouds = await openKv(bus, buckets.clouds, CloudStatus);
    await clouds.kv.put('rf-a', JSON.stringify({ name: 'rf-a', health: 'splendid' }));
    try {
      pm = await startPoolManager(nats.url, settings('rf', '1s'));
      expect(pm.running.role).toBe('standby');
      const mine = async (): Promise<HealthReport | undefined> =>
        (await checkHealth(bus, { service: 'pool-manager' })).find((r) => r.checks.some((c) => c.detail?.includes('rf-a')));
      const report = await waitFor(mine, { what: 'a health report naming the failed takeover' });
      expect(report.healthy).toBe(false);
      expect(report.checks.find((c) => c.name === 'reconcile')?.detail).toMatch(/^could not take over: clouds\/rf-a does not match its schema/);
      // nobody holds the lease meanwhile: it was handed back, not kept idle
      expect(await (await openKv(bus, buckets.leases, LeaseRecord)).get(leaseKey(pm))).toBeUndefined();
      // once the record is readable, the next attempt (a ttl later) takes over
      await clouds.delete('rf-a');
      await pm.running.leading();
      // it fills the pool it could not fill before
      await waitFor(async () => (await machines(pm as TestPoolManager, 'ready')).length >= 3, { what: '3 ready once leading' });
      expect((await checkHealth(bus, { service: 'pool-manager' })).filter((r) => !r.healthy).map((r) => r.checks)).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});

describe('a lease left by a crashed process on this host', () => {
  let pm: TestPoolManager | undefined;

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('is taken at once, without waiting out its ttl', async () => {
    // a pid that is certainly gone: a child that has exited
    const child = spawnSync('true');
    const pid = child.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    const marker = `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/pid')}`;
    const installation = `tcrash${process.pid}`;
    const bus = await connectBus({ servers: nats.url, name: 'lease-test', log: createLogger({ service: 'test', level: 'silent' }) });
    const leases = await openKv(bus, buckets.leases, LeaseRecord);
    const now = Date.now();
    await leases.put(`pool-manager.${installation}`, { holder: 'crashed', host: hostname(), pid, process: marker, ttlMs: 3_600_000, acquiredAt: now, renewedAt: now });
    await bus.close();
    pm = await startPoolManager(nats.url, settings('rk', '1h'), { installation });
    expect(pm.running.role).toBe('leader');
  });
});
