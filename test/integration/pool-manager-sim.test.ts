import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onMachineEvents, request, subjects, usageRecords, type MachineEvent, type MachineRecord, type UsageEvent } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { hearthError } from '../helpers/bus.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, simCloud, startPoolManager, userKey, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

let nats: TestNatsServer;
let pm: TestPoolManager;

beforeAll(async () => {
  nats = await startNatsServer();
  pm = await startPoolManager(nats.url, [
    ...machineType(0, 'analysis'),
    ...machineType(1, 'gpu'),
    ...machineType(2, 'slow'),
    ...simCloud(0, 'sim-a'),
    // machines that take a while to boot, so a launch is seen under way
    ...simCloud(1, 'sim-slow', ['bootTimeMs.meanMs=2000']),
    ...pool(0, 'analysis', 'sim-a', 2, 6),
    ...pool(1, 'gpu', 'sim-a', 0, 2),
    ...pool(2, 'slow', 'sim-slow', 0, 1),
  ]);
});

afterAll(async () => {
  await pm?.cleanup();
  await nats?.cleanup();
});

const machines = async (filter: { type?: string; state?: MachineRecord['state']; user?: string } = {}): Promise<MachineRecord[]> =>
  (await request(pm.bus, subjects.machines.list, filter)).machines;

const ready = async (type = 'analysis'): Promise<number> => (await machines({ type, state: 'ready' })).length;


async function usage(): Promise<UsageEvent[]> {
  const jsm = await pm.bus.jsm();
  const info = await jsm.streams.info('USAGE');
  const events: UsageEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage('USAGE', { seq }).catch(() => undefined);
    // a message carries one or more records of its kind
    if (msg) events.push(...usageRecords(msg.data));
  }
  return events.filter((e) => e.installation === pm.installation);
}

describe('pool manager on the sim cloud', () => {
  it('warms a pool to its minimum of ready machines', async () => {
    await waitFor(async () => (await ready()) === 2, { what: '2 ready analysis machines', timeoutMs: 10_000 });
  });

  it('hands out a ready machine at once, then launches its replacement', async () => {
    const reply = await request(pm.bus, subjects.machines.allocate, { type: 'analysis', user: 'ada', sshPublicKey: userKey });
    expect(reply).toMatchObject({ type: 'analysis', cloud: 'sim-a', warm: true, connect: { user: 'ada', port: 22 } });
    const [mine] = await machines({ user: 'ada' });
    expect(mine).toMatchObject({ id: reply.machineId, state: 'allocated', user: 'ada' });
    await waitFor(async () => (await ready()) === 2, { what: 'pool refilled to 2 ready', timeoutMs: 10_000 });
    // the cloud holds the owner facts too
    await waitFor(
      async () => {
        const instances = await pm.running.engine.clouds.get('sim-a')?.driver.list();
        return instances?.find((i) => i.tags[OwnerTag.Machine] === reply.machineId)?.tags[OwnerTag.User] === 'ada';
      },
      { what: 'instance tagged with its user' },
    );
  });

  it('never gives one machine to two of many concurrent requests', async () => {
    const replies = await Promise.all(
      Array.from({ length: 4 }, (_, i) => request(pm.bus, subjects.machines.allocate, { type: 'analysis', user: `user${i}`, sshPublicKey: userKey }, { timeoutMs: 15_000 })),
    );
    expect(new Set(replies.map((r) => r.machineId)).size).toBe(4);
    // two were ready; the other two waited for launches
    expect(replies.filter((r) => !r.warm).length).toBeGreaterThanOrEqual(1);
  });

  it('deletes a released machine and refills the pool', async () => {
    const [mine] = await machines({ user: 'ada' });
    await request(pm.bus, subjects.machines.release, { machineId: mine?.id ?? '', user: 'ada' });
    await waitFor(async () => (await machines({ user: 'ada' })).length === 0, { what: 'released machine gone', timeoutMs: 10_000 });
    const events = await usage();
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['requested', 'launched', 'ready', 'allocated', 'released']));
    const allocated = events.find((e) => e.event === 'allocated' && e.user === 'ada');
    expect(allocated).toMatchObject({ type: 'analysis', cloud: 'sim-a', region: 'local', warm: true });
  });

  it('answers another user\'s release with NOT_FOUND', async () => {
    const [theirs] = await machines({ user: 'user0' });
    const err = await hearthError(request(pm.bus, subjects.machines.release, { machineId: theirs?.id ?? '', user: 'mallory' }));
    expect(err.code).toBe('NOT_FOUND');
    expect((await machines({ user: 'user0' })).length).toBe(1);
  });

  it('queues a request when nothing is ready and serves it when a machine boots', async () => {
    const reply = await request(pm.bus, subjects.machines.allocate, { type: 'gpu', user: 'grace', sshPublicKey: userKey, waitMs: 10_000 }, { timeoutMs: 15_000 });
    expect(reply).toMatchObject({ type: 'gpu', warm: false });
  });

  it('ends a queued request at its deadline with a clear error', async () => {
    await request(pm.bus, subjects.pools.resize, { type: 'gpu', cloud: 'sim-a', max: 1, by: 'admin' });
    const err = await hearthError(request(pm.bus, subjects.machines.allocate, { type: 'gpu', user: 'grace', sshPublicKey: userKey, waitMs: 300 }));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/no gpu machine became ready in time/);
  });

  it('cancels a queued request', async () => {
    const pending = hearthError(request(pm.bus, subjects.machines.allocate, { type: 'gpu', user: 'grace', sshPublicKey: userKey, waitMs: 10_000, requestId: 'req-1' }, { timeoutMs: 15_000 }));
    await waitFor(() => pm.running.engine.queue.length('gpu') === 1, { what: 'request queued' });
    expect(await request(pm.bus, subjects.machines.cancel, { requestId: 'req-1' })).toEqual({ cancelled: true });
    expect((await pending).message).toMatch(/cancelled/);
    expect(await request(pm.bus, subjects.machines.cancel, { requestId: 'req-1' })).toEqual({ cancelled: false });
  });

  it('tells a queued request of the machine launched for it, and hands the launch on when that request leaves', async () => {
    const events: MachineEvent[] = [];
    const stop = onMachineEvents(pm.bus, (e) => events.push(e));
    try {
      const ask = (user: string, requestId: string) =>
        request(pm.bus, subjects.machines.allocate, { type: 'slow', user, sshPublicKey: userKey, waitMs: 20_000, requestId }, { timeoutMs: 25_000 });
      const first = hearthError(ask('ada', 'req-slow-1'));
      await waitFor(() => events.find((e) => e.kind === 'launching' && e.requestId === 'req-slow-1'), { what: 'a launch announced to the first request' });
      const second = ask('grace', 'req-slow-2');
      await waitFor(() => pm.running.engine.queue.length('slow') === 2, { what: 'both requests queued' });
      // the pool's max is 1: the one launch is the first request's, the second has none yet
      expect(events.some((e) => e.kind === 'launching' && e.requestId === 'req-slow-2')).toBe(false);
      const launched = events.find((e) => e.kind === 'launching' && e.requestId === 'req-slow-1')?.machineId;
      expect(await request(pm.bus, subjects.machines.cancel, { requestId: 'req-slow-1' })).toEqual({ cancelled: true });
      expect((await first).message).toMatch(/cancelled/);
      // the launch now belongs to the second request, which is told so and gets that machine
      const handed = await waitFor(() => events.find((e) => e.kind === 'launching' && e.requestId === 'req-slow-2'), { what: 'the launch handed to the second request' });
      expect(handed).toMatchObject({ machineId: launched, user: 'grace', type: 'slow' });
      const served = await second;
      expect(served.machineId).toBe(launched);
      expect(events.some((e) => e.kind === 'ready' && e.machineId === launched && e.requestId === 'req-slow-2')).toBe(true);
    } finally {
      stop();
    }
  });

  it('refuses bad requests naming the field, and launches nothing for them', async () => {
    const before = (await machines()).length;
    const unknown = await hearthError(request(pm.bus, subjects.machines.allocate, { type: 'quantum', user: 'ada', sshPublicKey: userKey }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.details?.['issues']).toEqual([{ path: 'type', message: 'no such machine type' }]);
    for (const [body, path] of [
      [{ type: 'analysis', user: 'Root Admin', sshPublicKey: userKey }, 'user'],
      [{ type: 'analysis', user: 'ada', sshPublicKey: 'not a key' }, 'sshPublicKey'],
    ] as const) {
      const raw = await pm.bus.nc.request(subjects.machines.allocate, JSON.stringify(body), { timeout: 5_000 });
      const envelope = raw.json<{ code: string; details: { issues: { path: string }[] } }>();
      expect(envelope.code).toBe('INVALID_REQUEST');
      expect(envelope.details.issues.map((i) => i.path)).toEqual([path]);
    }
    expect((await machines()).length).toBe(before);
  });

  it('stores a resize, emits an audit record, and keeps it across a restart', async () => {
    // max counts allocated machines too: 4 are allocated, so room for 3 ready needs max 7 or more
    const settings = await request(pm.bus, subjects.pools.resize, { type: 'analysis', cloud: 'sim-a', minReady: 3, max: 10, by: 'admin-alice' });
    expect(settings).toMatchObject({ minReady: 3, max: 10, changedBy: 'admin-alice' });
    await waitFor(async () => (await ready()) === 3, { what: '3 ready after resize', timeoutMs: 10_000 });
    const resized = (await usage()).find((e) => e.event === 'resized' && e.by === 'admin-alice');
    expect(resized).toMatchObject({ before: { minReady: 2, max: 6 }, after: { minReady: 3, max: 10 } });
    await pm.restart();
    const { pools } = await request(pm.bus, subjects.pools.list, { type: 'analysis' });
    expect(pools[0]?.settings).toMatchObject({ minReady: 3, changedBy: 'admin-alice' });
  });

  it('fails an allocated machine whose instance vanished from the cloud, once two listings miss it', async () => {
    const reply = await request(pm.bus, subjects.machines.allocate, { type: 'analysis', user: 'vera', sshPublicKey: userKey }, { timeoutMs: 15_000 });
    const record = pm.running.engine.machines.get(reply.machineId);
    expect(record?.cloudRef).toBeDefined();
    await pm.running.engine.clouds.get(reply.cloud)?.driver.terminate({ id: record?.cloudRef ?? '' });
    await waitFor(async () => (await machines({ user: 'vera' })).every((m) => m.id !== reply.machineId || m.vanished === true), {
      what: 'the vanished machine marked',
      timeoutMs: 10_000,
    });
  });

  it('lists machine types with their ready machines counted per cloud', async () => {
    await waitFor(async () => (await ready()) >= 1, { what: 'a ready machine', timeoutMs: 10_000 });
    const { types } = await request(pm.bus, subjects.machines.types, {});
    const analysis = types.find((t) => t.name === 'analysis');
    expect(analysis).toMatchObject({ cpus: expect.any(Number), queued: 0 });
    expect(analysis?.ready).toBe(await ready());
    expect(Object.keys(analysis?.warm ?? {})).toContain('sim-a');
    expect(analysis?.warm['sim-a']).toBe(analysis?.ready);
  });

  it('deletes a leaked instance on its second sighting', async () => {
    const driver = pm.running.engine.clouds.get('sim-a')?.driver;
    const ref = await driver?.launch({
      machineId: 'm-leaked',
      type: 'analysis',
      image: 'debian',
      cpus: 1,
      memoryMb: 512,
      tags: { [OwnerTag.Installation]: pm.installation, [OwnerTag.Machine]: 'm-leaked', [OwnerTag.Type]: 'analysis' },
      authorizedKeys: [],
    });
    await waitFor(async () => (await driver?.describe(ref ?? { id: '' })) === undefined || (await driver?.describe(ref ?? { id: '' }))?.state === 'deleting', {
      what: 'leaked instance deleted',
      timeoutMs: 10_000,
    });
  });

  it('rebuilds allocated machines from cloud tags after the machines bucket is wiped', async () => {
    const owned = await machines({ state: 'allocated' });
    expect(owned.length).toBeGreaterThan(0);
    await pm.running.stop();
    const jsm = await pm.bus.jsm();
    await jsm.streams.purge('KV_machines');
    await pm.restart();
    await waitFor(
      async () => {
        const now = await machines({ state: 'allocated' });
        return owned.every((o) => now.some((n) => n.id === o.id && n.user === o.user));
      },
      { what: 'every allocated machine back with its user', timeoutMs: 10_000 },
    );
    await waitFor(async () => (await ready()) === 3, { what: 'pool whole again', timeoutMs: 10_000 });
  });
});
