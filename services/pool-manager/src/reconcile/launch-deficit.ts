import { randomBytes } from 'node:crypto';
import { publishMachineEvent, recordUsage, type MachineRecord, type PoolSettings } from '@hearth/bus';
import { CloudError, OwnerTag, QuotaExceededError } from '@hearth/clouds';
import type { Cloud } from '../clouds.js';
import type { MachineType } from '../config.js';
import type { StateCounts } from '../domain/pool-target.js';
import { planSpread, type SpreadPool } from '../domain/spread.js';
import type { Engine } from '../engine.js';
import type { Reconciler } from './reconciler.js';

/** A short, sortable-enough machine id: `m-` and 10 hex characters. */
export const newMachineId = (): string => `m-${randomBytes(5).toString('hex')}`;

const backoffStepsMs = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

/**
 * `pool.launch-deficit`: per machine type, counts its pools' machines by state and spreads
 * the type's warm target over its clouds (domain/spread.ts): launches go to healthy,
 * undrained clouds with quota by pool weight, a cloud that cannot take its share passes it
 * to the others, a drained cloud's ready machines leave as replacements become ready, and
 * surplus ready machines are trimmed. A pool whose launches fail backs off, step by step;
 * a full quota pauses the cloud for the type until a quota reading shows room.
 */
export class LaunchDeficit implements Reconciler {
  readonly name = 'pool.launch-deficit';
  private readonly backoff = new Map<string, { until: number; step: number; at: number }>();
  /** Cloud calls still under way; their records already count towards their pools. */
  private readonly inFlight = new Set<Promise<void>>();

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const byType = new Map<string, PoolSettings[]>();
    for (const pool of engine.pools.all()) {
      let list = byType.get(pool.type);
      if (!list) byType.set(pool.type, (list = []));
      list.push(pool);
    }
    const launches: Promise<void>[] = [];
    /** Launch slots left per cloud in this pass. */
    const slots = new Map<string, number>();
    let deferred = false;
    for (const [typeName, pools] of byType) {
      const type = engine.types.get(typeName);
      if (!type) continue;
      const spread: SpreadPool[] = [];
      for (const pool of pools) {
        const cloud = engine.clouds.get(pool.cloud);
        if (!cloud) continue;
        const c = engine.machines.countsOf(pool.type, pool.cloud);
        for (const state of Object.keys(c) as (keyof StateCounts)[]) engine.metrics.machines.set({ type: pool.type, cloud: pool.cloud, state }, c[state]);
        spread.push(this.spreadPool(cloud, pool, type, c));
      }
      const plan = planSpread(spread, engine.queue.length(typeName));
      for (const [cloudName, n] of plan.launch) {
        const cloud = engine.clouds.get(cloudName);
        if (!cloud) continue;
        // only as many records as the cloud's launch slots take now: a `launching` record
        // stands for a cloud call under way, never for one queued behind minutes of others
        // (which the one-minute rule for unfinished launches would fail); the rest follow
        // in the next passes as slots free up
        const left = slots.get(cloudName) ?? cloud.launches.free;
        const take = Math.min(n, left);
        slots.set(cloudName, left - take);
        if (take < n) deferred = true;
        for (let i = 0; i < take; i++) launches.push(this.launch(engine, cloud, type));
      }
      for (const [cloudName, n] of plan.trim) {
        await trim(engine, typeName, cloudName, n, engine.clouds.get(cloudName)?.monitor.state.drained ? 'moved off a drained cloud' : 'surplus');
      }
    }
    // the records are written before this pass ends, so the next pass counts them; the
    // cloud calls go on outside the pass, so a slow cloud never holds up the others
    await Promise.all(launches);
    return launches.length > 0 || deferred ? { requeueAfterMs: 200 } : {};
  }

  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private spreadPool(cloud: Cloud, pool: PoolSettings, type: MachineType, counts: StateCounts): SpreadPool {
    const { health, drained } = cloud.monitor.state;
    const usable = health !== 'down' && !drained;
    const backoff = this.backoff.get(`${pool.type}.${pool.cloud}`);
    // a cloud a probe just brought back gets launches at once, whatever failed before
    const waiting = backoff !== undefined && backoff.until > Date.now() && backoff.at > cloud.monitor.recoveredAt;
    return {
      cloud: pool.cloud,
      minReady: pool.minReady,
      max: pool.max,
      weight: pool.weight,
      counts,
      usable,
      launchable: usable && !waiting && cloud.monitor.launchable(type.name),
      leaving: drained,
      headroom: cloud.monitor.headroom({ name: type.name, cpus: type.cpus, memoryMb: type.memoryMb }),
      weightFactor: health === 'degraded' ? 0.5 : 1,
    };
  }

  private async launch(engine: Engine, cloud: Cloud, type: MachineType): Promise<void> {
    const id = newMachineId();
    const now = Date.now();
    const key = `${type.name}.${cloud.name}`;
    const log = engine.log.child({ machineId: id, cloud: cloud.name, pool: key, reconciler: this.name });
    // the record exists before the cloud is asked, so a crash mid-launch leaves a trace to finish or clean up
    await engine.machines.create({ id, type: type.name, cloud: cloud.name, region: cloud.region, state: 'launching', createdAt: now, updatedAt: now });
    cloud.monitor.noteLaunch();
    // a launch made while requests wait is announced to the oldest one without a launch yet
    const waiter = engine.queue.assignLaunch(type.name, cloud.region, id);
    publishMachineEvent(engine.bus, { kind: 'launching', at: now, machineId: id, type: type.name, ...(waiter ? { requestId: waiter.requestId, user: waiter.request.user } : {}) });
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
      const message = (err as Error).message;
      if (err instanceof QuotaExceededError) {
        // not a failure of the cloud: it is full for this shape. The monitor says so once and
        // re-checks the quota; no backoff line per attempt.
        cloud.monitor.markFull(typeName, message);
        log.debug({ err: { name: (err as Error).name, message } }, 'launch refused: quota full');
      } else {
        const step = Math.min((this.backoff.get(key)?.step ?? -1) + 1, backoffStepsMs.length - 1);
        const delay = backoffStepsMs[step] ?? 60_000;
        this.backoff.set(key, { until: Date.now() + delay, step, at: Date.now() });
        // one line per failure; the backoff, and a cloud judged down, keep a failing cloud from flooding the log
        log.warn({ err: { name: (err as Error).name, message }, backoffMs: delay }, 'launch failed');
      }
      engine.queue.unassign(id);
      await engine.machines.update(id, (r) => ({ ...r, state: 'failed', reason: `launch failed: ${message}` }));
      await recordUsage(engine.bus, { event: 'failed', at: Date.now(), installation: engine.installation, type: typeName, cloud: cloud.name, machineId: id, reason: message });
      engine.kick(); // its share goes to another cloud now
    }
  }
}

/** Marks the `count` most recently ready machines of a pool for deletion. */
async function trim(engine: Engine, type: string, cloud: string, count: number, reason: string): Promise<void> {
  const ready: MachineRecord[] = [...engine.machines.readyOn(type, cloud)].reverse().slice(0, count);
  for (const machine of ready) {
    await engine.machines.update(machine.id, (r) => (r.state === 'ready' ? { ...r, state: 'deleting', reason } : undefined));
  }
}
