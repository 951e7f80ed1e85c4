import { randomBytes } from 'node:crypto';
import { publishMachineEvent, recordUsage, type MachineRecord } from '@hearth/bus';
import { CloudError, OwnerTag, QuotaExceededError } from '@hearth/clouds';
import type { Cloud } from '../clouds.js';
import type { MachineType } from '../config.js';
import { emptyCounts, planPool, type StateCounts } from '../domain/pool-target.js';
import type { Engine } from '../engine.js';
import type { Reconciler } from './reconciler.js';

/** A short, sortable-enough machine id: `m-` and 10 hex characters. */
export const newMachineId = (): string => `m-${randomBytes(5).toString('hex')}`;

const backoffStepsMs = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

/**
 * `pool.launch-deficit`: counts every pool's machines by state, launches up to the warm
 * target (minReady plus queued requests, within max and the cloud's free quota), and marks
 * surplus ready machines for deletion. A pool whose launches fail backs off, step by step.
 */
export class LaunchDeficit implements Reconciler {
  readonly name = 'pool.launch-deficit';
  private readonly backoff = new Map<string, { until: number; step: number }>();
  /** Cloud calls still under way; their records already count towards their pools. */
  private readonly inFlight = new Set<Promise<void>>();

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const counts = countByPool(engine);
    const launches: Promise<void>[] = [];
    let launched = 0;
    for (const pool of engine.pools.all()) {
      const cloud = engine.clouds.get(pool.cloud);
      const type = engine.types.get(pool.type);
      if (!cloud || !type) continue;
      const key = `${pool.type}.${pool.cloud}`;
      const c = counts.get(key) ?? emptyCounts();
      for (const state of Object.keys(c) as (keyof StateCounts)[]) engine.metrics.machines.set({ type: pool.type, cloud: pool.cloud, state }, c[state]);
      const waiting = (this.backoff.get(key)?.until ?? 0) > Date.now();
      const headroom = cloud.view.healthy && !cloud.view.drained && !waiting ? Infinity : 0;
      const plan = planPool(pool, c, engine.queue.length(pool.type), headroom);
      for (let i = 0; i < plan.launch; i++) launches.push(this.launch(engine, cloud, pool.type, key));
      launched += plan.launch;
      if (plan.trim > 0) await trim(engine, pool.type, pool.cloud, plan.trim);
    }
    // the records are written before this pass ends, so the next pass counts them; the
    // cloud calls go on outside the pass, so a slow cloud never holds up the others
    await Promise.all(launches);
    return launched > 0 ? { requeueAfterMs: 200 } : {};
  }

  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async launch(engine: Engine, cloud: Cloud, typeName: string, key: string): Promise<void> {
    const type = engine.types.get(typeName);
    if (!type) return;
    const id = newMachineId();
    const now = Date.now();
    const log = engine.log.child({ machineId: id, cloud: cloud.name, pool: key, reconciler: this.name });
    // the record exists before the cloud is asked, so a crash mid-launch leaves a trace to finish or clean up
    await engine.machines.create({ id, type: typeName, cloud: cloud.name, region: cloud.region, state: 'launching', createdAt: now, updatedAt: now });
    publishMachineEvent(engine.bus, { kind: 'launching', at: now, machineId: id, type: typeName });
    const call = this.callCloud(engine, cloud, type, key, id, log).finally(() => this.inFlight.delete(call));
    this.inFlight.add(call);
  }

  private async callCloud(engine: Engine, cloud: Cloud, type: MachineType, key: string, id: string, log: Engine['log']): Promise<void> {
    const typeName = type.name;
    try {
      const ref = await cloud.launches.run(() =>
        cloud.driver.launch(
          {
            machineId: id,
            type: typeName,
            image: type.images[cloud.name] ?? type.images['default'] ?? '',
            ...(type.flavors[cloud.name] ? { flavor: type.flavors[cloud.name] as string } : {}),
            cpus: type.cpus,
            memoryMb: type.memoryMb,
            tags: { [OwnerTag.Installation]: engine.installation, [OwnerTag.Machine]: id, [OwnerTag.Type]: typeName },
            authorizedKeys: [engine.key.publicKey],
          },
          { log },
        ),
      );
      const launchedAt = Date.now();
      await engine.machines.update(id, (r) => (r.state === 'launching' ? { ...r, state: 'booting', cloudRef: ref.id, launchedAt, bootDeadline: launchedAt + type.bootTimeoutMs } : undefined));
      engine.metrics.launches.inc({ cloud: cloud.name, outcome: 'ok' });
      await recordUsage(engine.bus, { event: 'launched', at: launchedAt, installation: engine.installation, type: typeName, cloud: cloud.name, region: cloud.region, machineId: id });
      this.backoff.delete(key);
      engine.kick(); // look at it booting soon, not an interval from now
    } catch (err) {
      const outcome = err instanceof CloudError ? err.name : 'error';
      engine.metrics.launches.inc({ cloud: cloud.name, outcome });
      const step = Math.min((this.backoff.get(key)?.step ?? -1) + 1, backoffStepsMs.length - 1);
      const delay = err instanceof QuotaExceededError ? 60_000 : (backoffStepsMs[step] ?? 60_000);
      this.backoff.set(key, { until: Date.now() + delay, step });
      // one line per failure at warn; the backoff keeps a failing cloud from flooding the log
      log.warn({ err: { name: (err as Error).name, message: (err as Error).message }, backoffMs: delay }, 'launch failed');
      await engine.machines.update(id, (r) => ({ ...r, state: 'failed', reason: `launch failed: ${(err as Error).message}` }));
      await recordUsage(engine.bus, { event: 'failed', at: Date.now(), installation: engine.installation, type: typeName, cloud: cloud.name, machineId: id, reason: (err as Error).message });
    }
  }
}

/** Counts machines per `type.cloud` and state. */
export function countByPool(engine: Engine): Map<string, StateCounts> {
  const counts = new Map<string, StateCounts>();
  for (const machine of engine.machines.all()) {
    const key = `${machine.type}.${machine.cloud}`;
    let c = counts.get(key);
    if (!c) counts.set(key, (c = emptyCounts()));
    c[machine.state]++;
  }
  return counts;
}

/** Marks the `count` most recently ready machines of a pool for deletion. */
async function trim(engine: Engine, type: string, cloud: string, count: number): Promise<void> {
  const ready: MachineRecord[] = [...engine.machines.ready(type)].filter((m) => m.cloud === cloud).reverse().slice(0, count);
  for (const machine of ready) {
    await engine.machines.update(machine.id, (r) => (r.state === 'ready' ? { ...r, state: 'deleting', reason: 'surplus' } : undefined));
  }
}
