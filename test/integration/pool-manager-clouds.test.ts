import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, CloudStatus, openKv, request, subjects, type CloudEvent, type MachineRecord } from '@hearth/bus';
import { SimFault, type SimCloud } from '@hearth/clouds';
import { createLogger } from '@hearth/log';
import { hearthError } from '../helpers/bus.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, simCloud, startPoolManager, usageRecords, userKey, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

let nats: TestNatsServer;

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await nats?.cleanup();
});

/** Three sim clouds named `<prefix>-a|b|c`, each with a pool of `analysis` (minReady 2, max 8). */
function threeClouds(prefix: string, extra: { c?: string[]; poolC?: string[]; set?: string[] } = {}): string[] {
  return [
    ...machineType(0, 'analysis'),
    ...simCloud(0, `${prefix}-a`),
    ...simCloud(1, `${prefix}-b`),
    ...simCloud(2, `${prefix}-c`, extra.c ?? []),
    ...pool(0, 'analysis', `${prefix}-a`, 2, 8),
    ...pool(1, 'analysis', `${prefix}-b`, 2, 8),
    ...pool(2, 'analysis', `${prefix}-c`, 2, 8, extra.poolC ?? []),
    // fast probes and quota reads, so recovery shows within a test
    'poolManager.cloudDefaults.probeIntervalMs=200',
    'poolManager.cloudDefaults.quotaCheckIntervalMs=200',
    ...(extra.set ?? []),
  ];
}

const sim = (pm: TestPoolManager, cloud: string): SimCloud => pm.running.engine.clouds.get(cloud)?.driver.inner as SimCloud;
const all = (pm: TestPoolManager): MachineRecord[] => [...pm.running.engine.machines.all()];
const count = (pm: TestPoolManager, cloud: string | undefined, state: MachineRecord['state']): number =>
  all(pm).filter((m) => (cloud === undefined || m.cloud === cloud) && m.state === state).length;
const allocate = (pm: TestPoolManager, user: string) => request(pm.bus, subjects.machines.allocate, { type: 'analysis', user, sshPublicKey: userKey }, { timeoutMs: 20_000 });
const cloudStatus = async (pm: TestPoolManager, name: string): Promise<CloudStatus | undefined> =>
  (await request(pm.bus, subjects.clouds.list, {})).clouds.find((c) => c.name === name);

describe('a cloud that starts failing every launch', () => {
  let pm: TestPoolManager;
  const events: CloudEvent[] = [];

  beforeAll(async () => {
    // f-c is judged down at its first failed launch, so the test need not wait for three
    pm = await startPoolManager(nats.url, threeClouds('f', { set: ['poolManager.cloudOverrides.f-c.downAfterFailures=1'] }));
    const sub = pm.bus.nc.subscribe(subjects.clouds.events, {
      callback: (_err, msg) => {
        events.push(msg.json<CloudEvent>());
      },
    });
    pm.bus.nc.closed().then(() => sub.unsubscribe(), () => undefined);
    await waitFor(() => count(pm, undefined, 'ready') >= 6, { what: '6 ready machines over three clouds', timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('launches its share elsewhere within two reconcile passes, and requests keep getting warm machines', async () => {
    const failing = sim(pm, 'f-c');
    for (let i = 0; i < 1000; i++) failing.failNextLaunch(SimFault.Unavailable);
    // 1. note the pass in which f-c's first launch fails, and the pass of the next launch elsewhere
    let failedInPass: number | undefined;
    let spilledInPass: number | undefined;
    const stop = pm.running.engine.machines.onChange((record) => {
      if (record?.cloud === 'f-c' && record.state === 'failed' && failedInPass === undefined) failedInPass = pm.running.controller.passes;
      if (record && record.cloud !== 'f-c' && record.state === 'launching' && failedInPass !== undefined && spilledInPass === undefined) spilledInPass = pm.running.controller.passes;
    });
    // 2. take machines one at a time; each is warm, because a and b refill f-c's share too
    for (let i = 0; i < 5; i++) {
      await waitFor(() => count(pm, 'f-a', 'ready') + count(pm, 'f-b', 'ready') + count(pm, 'f-c', 'ready') >= 6, { what: `6 ready before allocation ${i}`, timeoutMs: 15_000 });
      const reply = await allocate(pm, `user${i}`);
      expect(reply.warm).toBe(true);
    }
    await waitFor(() => spilledInPass !== undefined, { what: 'a launch on another cloud after f-c failed', timeoutMs: 15_000 });
    stop();
    expect((spilledInPass ?? Infinity) - (failedInPass ?? 0)).toBeLessThanOrEqual(2);
    // 3. f-c lost machines it could not replace; the healthy clouds carry the target
    await waitFor(() => count(pm, undefined, 'ready') >= 6, { what: '6 ready again', timeoutMs: 15_000 });
    const kept = all(pm).filter((m) => m.cloud === 'f-c' && m.state !== 'failed' && m.state !== 'deleting' && m.state !== 'allocated').length;
    expect(kept).toBeLessThan(2);
    expect(count(pm, 'f-a', 'ready') + count(pm, 'f-b', 'ready')).toBeGreaterThanOrEqual(6 - count(pm, 'f-c', 'ready'));
    expect((await cloudStatus(pm, 'f-c'))?.stats.launchFailures).toBeGreaterThan(0);
  });

  it('gets launches again when it recovers', async () => {
    const recovered = Date.now();
    sim(pm, 'f-c').resetFaults();
    // a probe answers; the next launch there is a trial
    await waitFor(async () => (await cloudStatus(pm, 'f-c'))?.health !== 'down', { what: 'f-c no longer down', timeoutMs: 15_000 });
    // the emptiest pool gets the replacements of the next allocations
    for (let i = 0; i < 2; i++) await allocate(pm, `later${i}`);
    await waitFor(() => all(pm).some((m) => m.cloud === 'f-c' && m.state === 'ready' && m.createdAt > recovered), {
      what: 'a machine launched on f-c after it recovered, ready',
      timeoutMs: 15_000,
    });
  });

  it('judges a cloud whose API fails down, announces it, shows it in clouds.list and metrics, and probes it back', async () => {
    // 1. an outage: every call to f-b fails
    sim(pm, 'f-b').setOutage(true);
    const down = await waitFor(async () => {
      const s = await cloudStatus(pm, 'f-b');
      return s?.health === 'down' ? s : undefined;
    }, { what: 'f-b judged down', timeoutMs: 15_000 });
    expect(down.reason).toMatch(/the last \d+ API calls failed: .*unavailable/);
    expect(down.stats.apiErrors).toBeGreaterThanOrEqual(3);
    const gauge = async (): Promise<number | undefined> => (await pm.running.engine.metrics.cloudHealth.get()).values.find((v) => v.labels['cloud'] === 'f-b')?.value;
    expect(await gauge()).toBe(0);
    const errors = await pm.running.engine.metrics.cloudApiErrors.get();
    expect(errors.values.filter((v) => v.labels['cloud'] === 'f-b').reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(3);
    // 2. while it is down, its share is on the others
    await waitFor(() => count(pm, 'f-a', 'ready') + count(pm, 'f-c', 'ready') >= 6, { what: 'f-a and f-c carrying the target', timeoutMs: 15_000 });
    // 3. the outage ends: a probe brings it back
    sim(pm, 'f-b').setOutage(false);
    await waitFor(async () => (await cloudStatus(pm, 'f-b'))?.health === 'healthy', { what: 'f-b healthy again', timeoutMs: 15_000 });
    expect(await gauge()).toBe(2);
    // the event follows the status's KV write, so it can arrive after clouds.list already reads healthy
    const changes = await waitFor(() => {
      const health = events.filter((e) => e.cloud === 'f-b' && e.kind === 'health');
      return health.at(-1)?.health === 'healthy' ? health : undefined;
    }, { what: "f-b's healthy event", timeoutMs: 5_000 });
    // the first failures may show as degraded (error rate) before enough of them make it down
    const healths = changes.map((e) => e.health);
    expect(healths.slice(-2)).toEqual(['down', 'healthy']);
    expect(healths.slice(0, -2).every((h) => h === 'degraded')).toBe(true);
    expect(changes.at(-2)?.reason).toBe(down.reason);
    const stored = await (await openKv(pm.bus, buckets.clouds, CloudStatus)).get('f-b');
    expect(stored?.value).toMatchObject({ name: 'f-b', health: 'healthy', drained: false });
  });
});

describe('a cloud whose API answers after 10 s', () => {
  let pm: TestPoolManager;

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('does not hold up the other clouds: their pools fill while its first call is outstanding', { timeout: 60_000 }, async () => {
    pm = await startPoolManager(nats.url, threeClouds('s', { c: ['apiLatencyMs=10s'] }));
    await waitFor(() => count(pm, 's-a', 'ready') >= 2 && count(pm, 's-b', 'ready') >= 2, { what: 's-a and s-b at their targets', timeoutMs: 15_000 });
    // the slow cloud has not answered anything yet: its launches are still without a cloud id
    const slow = all(pm).filter((m) => m.cloud === 's-c');
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.every((m) => m.state === 'launching' && m.cloudRef === undefined)).toBe(true);
    expect((await cloudStatus(pm, 's-c'))?.stats.apiCalls).toBe(0);
    // allocation is not held up either
    const reply = await allocate(pm, 'ada');
    expect(reply.warm).toBe(true);
    expect(reply.cloud).not.toBe('s-c');
  });
});

describe('a pool larger than a slow cloud can launch at once', () => {
  let pm: TestPoolManager;

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('keeps no more machines launching than the cloud has launch slots, and fails none while it fills', { timeout: 60_000 }, async () => {
    pm = await startPoolManager(nats.url, [
      ...machineType(0, 'analysis'),
      ...simCloud(0, 'slow', ['apiLatencyMs=150ms']),
      ...pool(0, 'analysis', 'slow', 12, 12),
      'poolManager.cloudOverrides.slow.launchConcurrency=2',
    ]);
    let mostLaunching = 0;
    await waitFor(
      () => {
        mostLaunching = Math.max(mostLaunching, count(pm, 'slow', 'launching'));
        return count(pm, 'slow', 'ready') >= 12;
      },
      { what: '12 ready on the slow cloud', timeoutMs: 45_000, intervalMs: 10 },
    );
    expect(mostLaunching).toBeGreaterThan(0);
    expect(mostLaunching).toBeLessThanOrEqual(2);
    expect(count(pm, 'slow', 'failed')).toBe(0);
  });
});

describe('a cloud whose quota is full', () => {
  let pm: TestPoolManager;
  const lines: { msg: string; cloud?: string; level: number }[] = [];

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('gets no more launches, the others take its share, and the log says so once', async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as { msg: string; cloud?: string; level: number });
        done();
      },
    });
    const log = createLogger({ service: 'pool-manager', level: 'info', destination: sink });
    pm = await startPoolManager(nats.url, threeClouds('q', { c: ['limits.instances=1'] }), { log });
    await waitFor(() => count(pm, 'q-a', 'ready') + count(pm, 'q-b', 'ready') >= 5, { what: 'q-a and q-b carrying q-c\'s share', timeoutMs: 15_000 });
    // more demand: every replacement goes to the clouds with room
    for (let i = 0; i < 4; i++) expect((await allocate(pm, `user${i}`)).warm).toBe(true);
    await waitFor(() => count(pm, 'q-a', 'ready') + count(pm, 'q-b', 'ready') + count(pm, 'q-c', 'ready') >= 6, { what: 'target met again', timeoutMs: 15_000 });
    // let several quota re-checks and passes go by before counting lines
    const passes = pm.running.controller.passes;
    await waitFor(() => pm.running.controller.passes >= passes + 10, { what: '10 more reconcile passes' });
    expect(all(pm).filter((m) => m.cloud === 'q-c' && m.state !== 'failed' && m.state !== 'deleting').length).toBeLessThanOrEqual(1);
    const full = lines.filter((l) => l.msg === 'cloud quota full; launches go to other clouds' && l.cloud === 'q-c');
    expect(full).toHaveLength(1);
    expect(lines.filter((l) => l.cloud === 'q-c' && l.level >= 40 && l !== full[0])).toEqual([]);
    expect((await cloudStatus(pm, 'q-c'))?.health).toBe('healthy');
  });
});

describe('drain and undrain through the bus', () => {
  let pm: TestPoolManager;

  beforeAll(async () => {
    // d-c weighs most, so allocations take from it first
    pm = await startPoolManager(nats.url, threeClouds('d', { poolC: ['weight=3'] }));
    await waitFor(() => count(pm, undefined, 'ready') >= 6, { what: '6 ready machines', timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await pm?.cleanup();
  });

  it('names an unknown cloud', async () => {
    const err = await hearthError(request(pm.bus, subjects.clouds.drain, { cloud: 'nowhere', by: 'ann' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/nowhere/);
  });

  it('moves warm machines make-before-break, keeps allocated ones, and launches nothing there', async () => {
    const mine = await allocate(pm, 'ada');
    expect(mine.cloud).toBe('d-c');
    await waitFor(() => count(pm, undefined, 'ready') >= 6, { what: 'refilled to 6 ready', timeoutMs: 15_000 });
    // 1. watch every change: a ready d-c machine may leave only while 6 stay ready
    let drainedAt = Infinity;
    const leaving: number[] = [];
    const launchedOnDrained: string[] = [];
    const stop = pm.running.engine.machines.onChange((record) => {
      if (!record || record.cloud !== 'd-c') return;
      if (record.state === 'deleting' && record.reason === 'moved off a drained cloud') leaving.push(count(pm, undefined, 'ready'));
      if (record.state === 'launching' && record.createdAt > drainedAt) launchedOnDrained.push(record.id);
    });
    // 2. drain
    const status = await request(pm.bus, subjects.clouds.drain, { cloud: 'd-c', by: 'ann' });
    drainedAt = status.changedAt;
    expect(status).toMatchObject({ name: 'd-c', drained: true, drainedBy: 'ann' });
    // 3. the warm machines are replaced on d-a and d-b, then leave d-c
    await waitFor(() => count(pm, 'd-c', 'ready') === 0 && count(pm, 'd-a', 'ready') + count(pm, 'd-b', 'ready') >= 6, {
      what: 'd-c without ready machines, d-a and d-b with 6',
      timeoutMs: 20_000,
    });
    stop();
    expect(leaving.length).toBeGreaterThan(0);
    for (const readyAfter of leaving) expect(readyAfter).toBeGreaterThanOrEqual(6);
    expect(launchedOnDrained).toEqual([]);
    expect(pm.running.engine.machines.get(mine.machineId)).toMatchObject({ state: 'allocated', cloud: 'd-c', user: 'ada' });
    const audit = (await usageRecords(pm)).find((e) => e.event === 'drained');
    expect(audit).toMatchObject({ cloud: 'd-c', by: 'ann' });
  });

  it('stays drained across a restart', async () => {
    await pm.restart();
    expect(await cloudStatus(pm, 'd-c')).toMatchObject({ drained: true, drainedBy: 'ann' });
    const started = Date.now();
    for (let i = 0; i < 2; i++) expect((await allocate(pm, `user${i}`)).cloud).not.toBe('d-c');
    await waitFor(() => count(pm, 'd-a', 'ready') + count(pm, 'd-b', 'ready') >= 6, { what: 'refilled on d-a and d-b', timeoutMs: 15_000 });
    expect(all(pm).filter((m) => m.cloud === 'd-c' && m.createdAt >= started)).toEqual([]);
  });

  it('gets launches again once undrained', async () => {
    const status = await request(pm.bus, subjects.clouds.undrain, { cloud: 'd-c', by: 'ann' });
    expect(status).toMatchObject({ drained: false });
    expect(status.drainedBy).toBeUndefined();
    for (let i = 0; i < 2; i++) await allocate(pm, `later${i}`);
    await waitFor(() => count(pm, 'd-c', 'ready') > 0, { what: 'a ready machine on d-c again', timeoutMs: 15_000 });
    expect((await usageRecords(pm)).filter((e) => e.event === 'drained' || e.event === 'undrained').map((e) => [e.event, e.by])).toEqual([
      ['drained', 'ann'],
      ['undrained', 'ann'],
    ]);
  });
});
