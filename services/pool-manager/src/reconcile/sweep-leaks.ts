import { OwnerTag, type Instance } from '@hearth/clouds';
import type { MachineRecord } from '@hearth/bus';
import type { Cloud } from '../clouds.js';
import type { Engine } from '../engine.js';
import { Breather, type Reconciler } from './reconciler.js';
import { failMachine } from './fail-machine.js';

/**
 * `pool.sweep-leaks`: compares each cloud's tagged instances with the records.
 * - An instance tagged as allocated to a user but without a record gets its record back
 *   (state was lost): a user's machine is never deleted as a leak.
 * - Any other tagged instance without a record is terminated on its second sighting, so a
 *   launch in flight is never mistaken for a leak.
 * - A ready or allocated record whose instance is missing from two listings in a row is marked
 *   vanished and failed.
 * Each cloud is swept outside the pass, on its own, so a slow cloud holds up no other.
 */
export class SweepLeaks implements Reconciler {
  readonly name = 'pool.sweep-leaks';
  /** Per cloud: leaks seen on its last sweep. */
  private readonly seen = new Map<string, Set<string>>();
  /** Per cloud: records whose instance was missing from its last listing. */
  private readonly absent = new Map<string, Set<string>>();
  private lastRun = 0;

  constructor(private readonly intervalMs = 10_000) {}

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    if (Date.now() - this.lastRun < this.intervalMs) return {};
    this.lastRun = Date.now();
    // records read before the listings, in one walk over the index for every cloud: a ready
    // record's instance existed when the cloud was asked
    const byCloud = new Map<string, MachineRecord[]>();
    const slice = new Breather();
    for (const m of engine.machines.all()) {
      if (slice.due()) await slice.turn();
      let list = byCloud.get(m.cloud);
      if (!list) byCloud.set(m.cloud, (list = []));
      list.push(m);
    }
    for (const cloud of engine.clouds.values()) {
      const records = byCloud.get(cloud.name) ?? [];
      cloud.tasks.start('sweep', (signal) => this.sweep(engine, cloud, records, signal));
    }
    return {};
  }

  private async sweep(engine: Engine, cloud: Cloud, records: readonly MachineRecord[], signal: AbortSignal): Promise<void> {
    const log = engine.log.child({ cloud: cloud.name, reconciler: this.name });
    let instances: Instance[];
    try {
      instances = await cloud.driver.list({ log, signal });
    } catch (err) {
      log.debug({ err }, 'listing failed; sweep skipped for this cloud');
      return;
    }
    const byRef = new Map(instances.map((i) => [i.ref.id, i]));
    const wasAbsent = this.absent.get(cloud.name) ?? new Set<string>();
    const absent = new Set<string>();
    this.absent.set(cloud.name, absent);
    const known = new Set<string>();
    const slice = new Breather();
    for (const m of records) {
      if (slice.due()) await slice.turn();
      if (m.cloudRef) known.add(m.cloudRef);
      if (m.cloudRef && (m.state === 'ready' || m.state === 'allocated') && !byRef.has(m.cloudRef)) {
        // missing from two listings in a row: one listing of an eventually consistent cloud
        // (or a page lost in transit) must never cost a user their machine
        absent.add(m.id);
        if (wasAbsent.has(m.id)) await failMachine(engine, { ...m, vanished: true }, 'instance vanished from the cloud');
      } else if (m.cloudRef && m.state === 'ready') {
        // a warm machine that stopped (an engine restart, a crash) must not be handed out;
        // an allocated one is left alone: it holds a user's work
        const state = byRef.get(m.cloudRef)?.state;
        if (state === 'stopped' || state === 'error') await failMachine(engine, m, `instance ${state} while ready`);
      }
    }
    const seen = this.seen.get(cloud.name) ?? new Set<string>();
    const sightings = new Set<string>();
    for (const instance of instances) {
      if (slice.due()) await slice.turn();
      if (known.has(instance.ref.id) || instance.state === 'deleting') continue;
      const machineId = instance.tags[OwnerTag.Machine];
      const record = machineId ? engine.machines.get(machineId) : undefined;
      if (record && !record.cloudRef) {
        // the cloud made it but its id was never recorded (a crash mid-launch): adopt it
        await this.adopt(engine, record.id, instance);
        continue;
      }
      if (record?.cloudRef === instance.ref.id) continue; // recorded while the list was under way
      if (machineId && instance.tags[OwnerTag.User] && !record) {
        await this.rebuild(engine, cloud.name, cloud.region, machineId, instance);
        continue;
      }
      sightings.add(instance.ref.id);
      if (!seen.has(instance.ref.id)) continue; // first sighting: not a race with a launch in flight
      log.warn({ instance: instance.ref.id, machineId }, 'deleting leaked instance');
      await cloud.driver.terminate(instance.ref, { log, signal }).catch((err: unknown) => log.warn({ err }, 'deleting leak failed'));
    }
    this.seen.set(cloud.name, sightings);
  }

  private async adopt(engine: Engine, machineId: string, instance: Instance): Promise<void> {
    const now = Date.now();
    const type = engine.types.get(instance.tags[OwnerTag.Type] ?? '');
    const adopted = await engine.machines.update(machineId, (r) =>
      r.state === 'launching' && !r.cloudRef ? { ...r, state: 'booting', cloudRef: instance.ref.id, launchedAt: now, bootDeadline: now + (type?.bootTimeoutMs ?? 300_000) } : undefined,
    );
    if (adopted) engine.log.info({ machineId, cloud: adopted.cloud, reconciler: this.name }, 'instance of an unfinished launch adopted');
  }

  private async rebuild(engine: Engine, cloud: string, region: string, machineId: string, instance: Instance): Promise<void> {
    const allocatedAt = Date.parse(instance.tags[OwnerTag.AllocatedAt] ?? '') || Date.now();
    await engine.machines
      .create({
        id: machineId,
        type: instance.tags[OwnerTag.Type] ?? 'unknown',
        cloud,
        region,
        state: 'allocated',
        cloudRef: instance.ref.id,
        ...(instance.privateIp ? { privateIp: instance.privateIp } : {}),
        user: instance.tags[OwnerTag.User] ?? '',
        createdAt: instance.createdAt.getTime(),
        updatedAt: Date.now(),
        allocatedAt,
        activeAt: Date.now(),
      })
      .catch(() => undefined); // another pass rebuilt it first
    engine.log.info({ machineId, cloud, user: instance.tags[OwnerTag.User] }, 'machine record rebuilt from cloud tags');
  }
}
