import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buckets, connectBus, MachineRecord, openKv, request, subjects } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { loadConfig } from '@hearth/config';
import { createLogger } from '@hearth/log';
import { PoolManagerConfig, start } from '@hearth/pool-manager';
import { generateKeyPair } from '@hearth/ssh';
import { startNatsServer } from '@hearth/testkit';
import { percentiles, report } from './stats.js';

const log = createLogger({ service: 'bench', level: 'silent' });
const key = generateKeyPair('bench').publicKey;

// sim accounts live per cloud name in a process; a fresh prefix per scenario keeps them apart
let scenario = 0;
function simClouds(count: number): string[] {
  scenario++;
  return Array.from({ length: count }, (_, i) => [
    `clouds[${i}].name=s${scenario}-sim-${i}`,
    `clouds[${i}].driver=sim`,
    `clouds[${i}].region=r${i % 4}`,
    `clouds[${i}].bootTimeMs.distribution=fixed`,
    `clouds[${i}].bootTimeMs.meanMs=0`,
    `clouds[${i}].images[0]=debian`,
  ]).flat();
}

async function startManager(url: string, set: string[]): Promise<{ stop(): Promise<void>; dir: string; running: Awaited<ReturnType<typeof start>> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-pm-'));
  const config = loadConfig(PoolManagerConfig, {
    set: [`installation=b${randomBytes(3).toString('hex')}`, `dataDir=${dir}`, `nats.url=${url}`, 'poolManager.metricsPort=0', 'machineTypes[0].name=analysis', 'machineTypes[0].cpus=1', 'machineTypes[0].memoryMb=512', 'machineTypes[0].images.default=debian',
    // the sim cloud answers in memory: no API rate limit, so the engine is what is measured
    'poolManager.cloudDefaults.apiRatePerSecond=1000000', 'poolManager.cloudDefaults.apiBurst=1000000', ...set],
  });
  const running = await start({ config, log });
  return { running, dir, stop: async () => { await running.stop(); await rm(dir, { recursive: true, force: true }); } };
}

/** Warm allocation over NATS (personalization excluded: the sim cloud's machines are in memory). */
async function allocationLatency(): Promise<void> {
  const nats = await startNatsServer();
  const ready = 4_600;
  const pm = await startManager(nats.url, [...simClouds(1), 'pools[0].type=analysis', `pools[0].cloud=s${scenario}-sim-0`, `pools[0].minReady=${ready}`, `pools[0].max=${ready * 3}`, 'poolManager.launchConcurrency=64']);
  const client = await connectBus({ servers: nats.url, name: 'bench-client', log });
  const t0 = performance.now();
  while ([...pm.running.engine.machines.ready('analysis')].length < ready) await new Promise((r) => setTimeout(r, 200));
  const warmupSeconds = (performance.now() - t0) / 1000;
  // measure allocation itself: stop reconciling, so refills do not share the disk with it
  await pm.running.controller.stop();
  const once = async (user: string): Promise<number> => {
    const s = performance.now();
    const reply = await request(client, subjects.machines.allocate, { type: 'analysis', user, sshPublicKey: key }, { timeoutMs: 30_000 });
    if (!reply.warm) throw new Error('benchmark ran out of warm machines');
    return performance.now() - s;
  };
  const serial: number[] = [];
  for (let i = 0; i < 500; i++) serial.push(await once('serial'));
  const concurrent: number[] = [];
  const total = 4_000;
  let next = 0;
  const c0 = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, c) => {
    while (next++ < total) concurrent.push(await once(`user${c}`));
  }));
  const rate = total / ((performance.now() - c0) / 1000);
  const row = (label: string, samples: number[], perSecond: number): Record<string, string | number> => {
    const p = percentiles(samples);
    return { case: label, allocations: samples.length, 'p50 ms': +p.p50.toFixed(2), 'p99 ms': +p.p99.toFixed(2), 'max ms': +p.max.toFixed(2), 'alloc/s': Math.round(perSecond) };
  };
  report(`allocation over NATS, sim cloud, warm, refills paused (pool of ${ready} filled in ${warmupSeconds.toFixed(1)} s)`, [
    row('1 client', serial, 1000 / (serial.reduce((a, b) => a + b, 0) / serial.length)),
    row('64 clients', concurrent, rate),
  ]);
  await client.close();
  await pm.stop();
  await nats.cleanup();
}

/** One reconcile pass over `count` machines spread over 20 clouds, in steady state. */
async function reconcileScale(count: number): Promise<Record<string, string | number>> {
  const nats = await startNatsServer();
  const clouds = 20;
  const perPool = Math.ceil(count / clouds);
  const clouds_ = simClouds(clouds);
  const pools = Array.from({ length: clouds }, (_, i) => [`pools[${i}].type=analysis`, `pools[${i}].cloud=s${scenario}-sim-${i}`, 'pools[' + i + '].minReady=0', `pools[${i}].max=${perPool * 2}`]).flat();
  // start with no pools running reconcile against an empty store, then seed records and instances
  const pm = await startManager(nats.url, [...clouds_, ...pools, 'poolManager.reconcileIntervalMs=1h', 'poolManager.leakSweepIntervalMs=0']);
  await pm.running.controller.stop();
  const { engine } = pm.running;
  const kv = await openKv(engine.bus, buckets.machines, MachineRecord);
  const now = Date.now();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const cloud = engine.clouds.get(`s${scenario}-sim-${i % clouds}`);
    if (!cloud) continue;
    const id = `m-${i.toString(16).padStart(10, '0')}`;
    const allocated = Math.floor(i / clouds) % 2 === 1; // half of each cloud's machines
    const ref = await cloud.driver.launch({ machineId: id, type: 'analysis', image: 'debian', cpus: 1, memoryMb: 512, authorizedKeys: [], tags: { [OwnerTag.Installation]: engine.installation, [OwnerTag.Machine]: id, [OwnerTag.Type]: 'analysis', ...(allocated ? { [OwnerTag.User]: 'u' } : {}) } });
    const record: MachineRecord = { id, type: 'analysis', cloud: cloud.name, region: cloud.region, state: allocated ? 'allocated' : 'ready', cloudRef: ref.id, privateIp: '10.0.0.1', createdAt: now, updatedAt: now, readyAt: now, activeAt: now, ...(allocated ? { user: 'u', allocatedAt: now } : {}) };
    writes.push(kv.put(id, record));
    if (writes.length >= 64) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  while (engine.machines.size < count) await new Promise((r) => setTimeout(r, 100));
  // steady state: each pool wants exactly the ready machines it has (seeded half ready, half allocated)
  for (const cloud of engine.clouds.keys()) await engine.pools.resize('analysis', cloud, { minReady: Math.floor(perPool / 2) }, 'bench');
  global.gc?.();
  const passes: number[] = [];
  let first = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await pm.running.controller.pass();
    passes.push(performance.now() - t);
    if (i === 0) {
      const metric = await engine.metrics.reconcileSeconds.get();
      first = metric.values
        .filter((v) => v.metricName === 'hearth_reconcile_seconds_sum')
        .map((v) => `${String(v.labels['reconciler'])} ${(v.value * 1000).toFixed(0)} ms`)
        .join(', ');
    }
  }
  const all = (await engine.metrics.reconcileSeconds.get()).values
    .filter((v) => v.metricName === 'hearth_reconcile_seconds_sum')
    .map((v) => `${String(v.labels['reconciler'])} ${(v.value * 1000).toFixed(0)} ms`)
    .join(', ');
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const p = percentiles(passes);
  await pm.stop();
  await nats.cleanup();
  console.log(`first pass at ${count} machines: ${first}`);
  console.log(`all five passes at ${count} machines: ${all}`);
  return { machines: count, clouds, 'pass p50 ms': +p.p50.toFixed(1), 'pass max ms': +p.max.toFixed(1), 'rss MB': Math.round(rssMb) };
}

/** `npm run bench -- allocation`: warm allocation over NATS, one client and 64. */
export async function allocationBench(): Promise<void> {
  await allocationLatency();
}

/** `npm run bench -- reconcile`: one reconcile pass at 1,000, 10,000 and 50,000 machines over 20 clouds. */
export async function reconcileBench(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const sizes = process.argv.includes('--quick') ? [10_000] : [1_000, 10_000, 50_000];
  for (const count of sizes) rows.push(await reconcileScale(count));
  report('reconcile pass (all reconcilers, steady state, sim clouds, leak sweep included)', rows);
}
