import Type, { type Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, connectBus, ensureStorage, openKv, streams, type Bus, type TypedKv } from '@hearth/bus';
import { createLogger } from '@hearth/log';
import { hearthError } from '../helpers/bus.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';

const log = createLogger({ service: 'test', level: 'silent' });
let nats: TestNatsServer;
let bus: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'storage-test', log });
});
afterAll(async () => {
  await bus?.close();
  await nats?.cleanup();
});

/** The HearthError `promise` rejects with (fails the test when it resolves or rejects with anything else). */

describe('ensureStorage', () => {
  it('creates every stream, on disk, with its subjects and retention', async () => {
    await ensureStorage(bus);
    const jsm = await bus.jsm();
    for (const def of Object.values(streams)) {
      const { config } = await jsm.streams.info(def.name);
      expect(config).toMatchObject({
        name: def.name,
        description: def.description,
        subjects: [...def.subjects],
        storage: 'file',
        retention: 'limits',
        max_age: def.maxAgeMs * 1_000_000,
        num_replicas: 1,
      });
    }
    expect(Object.values(streams).map((s) => s.name).sort()).toEqual(['PROVISIONING', 'TRANSFERS', 'USAGE']);
  });

  it('creates every KV bucket, on disk, with its history', async () => {
    await ensureStorage(bus);
    const jsm = await bus.jsm();
    const names = Object.values(buckets).map((b) => b.name);
    expect(names.sort()).toEqual(['clouds', 'leases', 'login_attempts', 'machines', 'pools', 'regions', 'requests', 'sessions', 'tokens', 'transfers', 'users']);
    for (const def of Object.values(buckets)) {
      const { config } = await jsm.streams.info(`KV_${def.name}`);
      expect(config).toMatchObject({
        description: def.description,
        max_msgs_per_subject: def.history,
        storage: 'file',
      });
    }
  });

  it('can be called again, and by several services at once', async () => {
    const other = await connectBus({ servers: nats.url, name: 'storage-test-2', log });
    try {
      await ensureStorage(bus);
      await Promise.all([ensureStorage(bus), ensureStorage(other), ensureStorage(bus)]);
    } finally {
      await other.close();
    }
    const jsm = await bus.jsm();
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    expect(names.sort()).toEqual(
      ['KV_clouds', 'KV_leases', 'KV_login_attempts', 'KV_machines', 'KV_pools', 'KV_regions', 'KV_requests', 'KV_sessions', 'KV_tokens', 'KV_transfers', 'KV_users', 'PROVISIONING', 'TRANSFERS', 'USAGE'],
    );
  });

  it('brings a stream whose settings drifted back to the defined ones', async () => {
    await ensureStorage(bus);
    const jsm = await bus.jsm();
    const { config } = await jsm.streams.info(streams.usage.name);
    await jsm.streams.update(streams.usage.name, { ...config, description: 'edited by hand', max_age: 86_400 * 1e9 });
    await ensureStorage(bus);
    expect((await jsm.streams.info(streams.usage.name)).config).toMatchObject({
      description: streams.usage.description,
      max_age: streams.usage.maxAgeMs * 1_000_000,
    });
  });

  it('brings a KV bucket whose settings drifted back to the defined ones', async () => {
    await ensureStorage(bus);
    const jsm = await bus.jsm();
    const stream = `KV_${buckets.pools.name}`;
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.update(stream, { ...config, description: 'edited by hand', max_msgs_per_subject: 1 });
    await ensureStorage(bus);
    expect((await jsm.streams.info(stream)).config).toMatchObject({
      description: buckets.pools.description,
      max_msgs_per_subject: buckets.pools.history,
    });
  });
});

const Pool = Type.Object(
  { type: Type.String(), cloud: Type.String(), max: Type.Integer({ minimum: 0 }), changedBy: Type.String() },
  { additionalProperties: false },
);
type Pool = Static<typeof Pool>;

describe('TypedKv', () => {
  let pools: TypedKv<typeof Pool>;
  const pool = (max: number): Pool => ({ type: 'gpu', cloud: 'north', max, changedBy: 'ana' });

  beforeAll(async () => {
    await ensureStorage(bus);
    pools = await openKv(bus, buckets.pools, Pool);
  });

  it('creates, reads and updates a value with the revision last read', async () => {
    const created = await pools.create('gpu.north', pool(2));
    expect(await pools.get('gpu.north')).toEqual({ key: 'gpu.north', value: pool(2), revision: created });

    const updated = await pools.update('gpu.north', pool(5), created);
    expect(updated).toBeGreaterThan(created);
    expect(await pools.get('gpu.north')).toEqual({ key: 'gpu.north', value: pool(5), revision: updated });
  });

  it('refuses an update naming a stale revision with KV_CONFLICT', async () => {
    const first = await pools.create('cpu.north', pool(1));
    await pools.update('cpu.north', pool(2), first);
    const err = await hearthError(pools.update('cpu.north', pool(3), first));
    expect(err.code).toBe('KV_CONFLICT');
    expect(err.details).toEqual({ key: 'cpu.north' });
    expect((await pools.get('cpu.north'))?.value.max).toBe(2);
  });

  it('refuses to create a key that exists with KV_CONFLICT', async () => {
    await pools.create('tpu.north', pool(1));
    const err = await hearthError(pools.create('tpu.north', pool(9)));
    expect(err.code).toBe('KV_CONFLICT');
    expect((await pools.get('tpu.north'))?.value.max).toBe(1);
  });

  it('refuses a value that breaks the schema, with INTERNAL, and writes nothing', async () => {
    const bad = { ...pool(1), max: -1, colour: 'red' } as unknown as Pool;
    for (const write of [() => pools.put('bad.north', bad), () => pools.create('bad.north', bad)]) {
      const err = await hearthError(write());
      expect(err.code).toBe('INTERNAL');
      expect(err.message).toContain('pools/bad.north does not match its schema');
      expect(err.message).toContain('max expected >= 0, got -1');
    }
    expect(await pools.kv.get('bad.north')).toBeNull();

    const revision = await pools.create('ok.north', pool(1));
    await hearthError(pools.update('ok.north', bad, revision));
    expect(await pools.get('ok.north')).toEqual({ key: 'ok.north', value: pool(1), revision });
  });

  it('refuses to read a stored value that breaks the schema', async () => {
    await pools.kv.put('legacy.north', JSON.stringify({ type: 'gpu' }));
    const err = await hearthError(pools.get('legacy.north'));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain('cloud is required but missing');
  });

  it('forgets a deleted key, and lets it be created again', async () => {
    const revision = await pools.create('old.north', pool(1));
    await pools.delete('old.north');
    expect(await pools.get('old.north')).toBeUndefined();
    expect(await pools.keys()).not.toContain('old.north');
    await pools.delete('old.north');
    await pools.delete('never.existed');
    expect(await pools.create('old.north', pool(4))).toBeGreaterThan(revision);
  });

  it('deletes with a revision only while the value is unchanged', async () => {
    const first = await pools.create('cas.north', pool(1));
    const second = await pools.update('cas.north', pool(2), first);
    expect((await hearthError(pools.delete('cas.north', first))).code).toBe('KV_CONFLICT');
    await pools.delete('cas.north', second);
    expect(await pools.get('cas.north')).toBeUndefined();
  });

  it('returns undefined for a key that was never written, and lists live keys', async () => {
    expect(await pools.get('nothing.here')).toBeUndefined();
    await pools.put('listed.north', pool(1));
    expect(await pools.keys()).toContain('listed.north');
    expect(await pools.keys('listed.*')).toEqual(['listed.north']);
  });
});
