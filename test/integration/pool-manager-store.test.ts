import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, ensureStorage, type Bus, type MachineRecord } from '@hearth/bus';
import { MachineStore } from '@hearth/pool-manager/machine-store';
import { Kvm } from '@nats-io/kv';
import { connectPair, testLog } from '../helpers/bus.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The pool manager's machine store against a real nats-server: its indexes (by state, per
 * pool, ready order, per user) follow every write, its own and another replica's, and its
 * compare-and-set never lets two writers both win.
 */
let nats: TestNatsServer;
let host: Bus;
let client: Bus;
let close: () => Promise<void>;
let a: MachineStore;
let b: MachineStore;

const now = Date.now();
const record = (id: string, state: MachineRecord['state'], extra: Partial<MachineRecord> = {}): MachineRecord => ({
  id,
  type: 'analysis',
  cloud: 'left',
  region: 'here',
  state,
  createdAt: now,
  updatedAt: now,
  ...extra,
});
const ids = (records: Iterable<MachineRecord>): string[] => [...records].map((r) => r.id);

beforeAll(async () => {
  nats = await startNatsServer();
  ({ host, client, close } = await connectPair(nats.url));
  await ensureStorage(host);
  a = await MachineStore.open(host, testLog);
  b = await MachineStore.open(client, testLog);
});

afterAll(async () => {
  a.stop();
  b.stop();
  await close();
  await nats.cleanup();
});

describe('machine store', () => {
  it('indexes records by state, pool, ready order and user, and follows every change', async () => {
    await a.create(record('m-1', 'ready', { readyAt: 1 }));
    await a.create(record('m-2', 'ready', { readyAt: 2 }));
    await a.create(record('m-3', 'ready', { readyAt: 3, cloud: 'right' }));
    await a.create(record('m-4', 'booting'));
    expect(ids(a.readyOn('analysis', 'left'))).toEqual(['m-1', 'm-2']);
    expect(ids(a.ready('analysis'))).toEqual(['m-1', 'm-2', 'm-3']);
    expect(a.countsOf('analysis', 'left')).toMatchObject({ ready: 2, booting: 1, allocated: 0 });
    expect(a.countsOf('analysis', 'nowhere')).toMatchObject({ ready: 0, booting: 0 });

    // a ready machine changed without leaving ready keeps its place: longest-ready stays first
    await a.update('m-1', (r) => ({ ...r, privateIp: '10.0.0.1' }));
    expect(ids(a.readyOn('analysis', 'left'))).toEqual(['m-1', 'm-2']);

    await a.update('m-1', (r) => ({ ...r, state: 'allocated', user: 'ada' }));
    await a.update('m-4', (r) => ({ ...r, state: 'ready', readyAt: 4 }));
    expect(ids(a.readyOn('analysis', 'left'))).toEqual(['m-2', 'm-4']);
    expect(ids(a.inState('allocated'))).toEqual(['m-1']);
    expect(ids(a.inState('booting'))).toEqual([]);
    expect(ids(a.ofUser('ada'))).toEqual(['m-1']);
    expect(a.countsOf('analysis', 'left')).toMatchObject({ ready: 2, booting: 0, allocated: 1 });

    await a.remove('m-1');
    expect(a.get('m-1')).toBeUndefined();
    expect(ids(a.ofUser('ada'))).toEqual([]);
    expect(a.countsOf('analysis', 'left')).toMatchObject({ ready: 2, allocated: 0 });

    // the other replica's indexes follow through the KV watch
    await waitFor(() => b.countsOf('analysis', 'left').ready === 2 && b.get('m-1') === undefined, { what: 'replica b to see the changes' });
    expect(ids(b.readyOn('analysis', 'left'))).toEqual(['m-2', 'm-4']);
    expect(b.countsOf('analysis', 'right')).toMatchObject({ ready: 1 });
  });

  it('lets only one of two replicas claim a ready machine; the loser decides again on what the winner wrote', async () => {
    await a.create(record('m-race', 'ready', { readyAt: 10 }));
    await waitFor(() => b.get('m-race'), { what: 'replica b to see m-race' });
    const claim = (store: MachineStore, user: string): Promise<MachineRecord | undefined> =>
      store.update('m-race', (r) => (r.state === 'ready' ? { ...r, state: 'allocated', user } : undefined));
    const [byA, byB] = await Promise.all([claim(a, 'ada'), claim(b, 'grace')]);
    const winners = [byA, byB].filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.user;
    await waitFor(() => a.get('m-race')?.user === winner && b.get('m-race')?.user === winner, { what: 'both replicas to agree on the winner' });
    expect(ids(a.ofUser(winner ?? ''))).toContain('m-race');
    expect(ids(b.inState('allocated'))).toContain('m-race');
  });

  it('leaves out a record that does not match the schema, and keeps serving the others', async () => {
    const kv = await new Kvm(host.js).open(buckets.machines.name);
    await kv.put('m-bad', JSON.stringify({ id: 'm-bad', state: 'exploded' }));
    await a.create(record('m-after', 'booting'));
    await waitFor(() => b.get('m-after'), { what: 'replica b to see the record written after the bad one' });
    expect(b.get('m-bad')).toBeUndefined();
    expect(ids(b.inState('booting'))).toContain('m-after');
  });
});
