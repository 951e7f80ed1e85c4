import { publishMachineEvent, recordUsage, type MachineRecord } from '@hearth/bus';
import type { Engine } from '../engine.js';
import { Breather, forEachLimited, type Reconciler } from './reconciler.js';

/** CPU use below this share of one core over a probe interval counts as idle. */
const busyShare = 0.02;
/** ...and below this much CPU time at all: the probe itself (sshd, sh, who, awk) costs a few ms. */
const probeCostUs = 100_000;

/**
 * `machine.reclaim-idle`: probes every allocated machine over SSH (logged-in sessions and
 * CPU time since the last probe). Past its type's idle limit, or its maximum lifetime, the
 * user gets a `reclaim-warning` event; if still idle after the grace period, the machine is
 * reclaimed. Activity after a warning cancels it.
 */
export class ReclaimIdle implements Reconciler {
  readonly name = 'machine.reclaim-idle';
  private readonly probedAt = new Map<string, number>();
  /** Last CPU reading and last activity per machine: memory, not KV, so a probe costs no write. */
  private readonly seen = new Map<string, { cpuUs: number; activeAt: number }>();
  private scannedAt = 0;

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const { activityProbeIntervalMs } = engine.config.poolManager;
    const now = Date.now();
    // probes are due an interval apart: looking for due ones a quarter interval apart (at most
    // every 5 s) finds each within a quarter of its interval, instead of walking every
    // allocated machine on every pass (passes come every 200 ms while machines are taken)
    if (now - this.scannedAt < Math.min(activityProbeIntervalMs / 4, 5_000)) return {};
    this.scannedAt = now;
    const due: MachineRecord[] = [];
    const slice = new Breather();
    for (const id of this.probedAt.keys()) {
      if (slice.due()) await slice.turn();
      if (engine.machines.get(id)?.state !== 'allocated') {
        this.probedAt.delete(id);
        this.seen.delete(id);
      }
    }
    for (const m of engine.machines.inState('allocated')) {
      if (slice.due()) await slice.turn();
      // a warned machine is looked at again once its reclaim time has come, probe due or not
      if (now - (this.probedAt.get(m.id) ?? 0) >= activityProbeIntervalMs || (m.reclaimAt !== undefined && now >= m.reclaimAt)) due.push(m);
    }
    // probes that answer at once (the sim cloud, a cached session) would otherwise run as one
    // long chain of microtasks, holding up every request until the last one is done
    await forEachLimited(due, 16, async (m) => {
      if (slice.due()) await slice.turn();
      await this.check(engine, m);
    });
    return {};
  }

  private async check(engine: Engine, machine: MachineRecord): Promise<void> {
    const type = engine.types.get(machine.type);
    const cloud = engine.clouds.get(machine.cloud);
    if (!type || !cloud) return;
    const now = Date.now();
    // bound only when there is something to say: a child logger per probe is measurable CPU over thousands of machines
    const log = (): Engine['log'] => engine.log.child({ machineId: machine.id, cloud: machine.cloud, reconciler: this.name });
    const last = this.probedAt.get(machine.id);
    this.probedAt.set(machine.id, now);
    const before = this.seen.get(machine.id);
    let active = false;
    try {
      const activity = await cloud.access.activity(machine);
      const elapsedUs = (now - (last ?? now)) * 1000;
      const busyUs = Math.max(elapsedUs * busyShare, probeCostUs);
      active = activity.sessions > 0 || (before !== undefined && activity.cpuUs - before.cpuUs > busyUs);
      this.seen.set(machine.id, { cpuUs: activity.cpuUs, activeAt: active ? now : (before?.activeAt ?? 0) });
    } catch (err) {
      log().debug({ err }, 'activity probe failed');
    }
    // the stored activeAt survives restarts; memory has the latest
    const activeAt = Math.max(machine.activeAt ?? machine.allocatedAt ?? now, this.seen.get(machine.id)?.activeAt ?? 0);
    const idle = now - activeAt >= type.idleLimitMs;
    const expired = now - (machine.allocatedAt ?? now) >= type.maxLifetimeMs;
    if (!idle && !expired) {
      // write only what changes the outcome: a warning to clear, or activity well past the stored mark
      const stale = activeAt - (machine.activeAt ?? 0) >= Math.min(type.idleLimitMs / 4, 5 * engine.config.poolManager.activityProbeIntervalMs);
      if (machine.warnedAt !== undefined || stale) {
        await engine.machines.update(machine.id, (r) => {
          if (r.state !== 'allocated') return undefined;
          const { warnedAt: _cleared, reclaimAt: _alsoCleared, ...rest } = r;
          return { ...rest, activeAt };
        });
      }
      return;
    }
    const reason = expired ? 'maximum lifetime reached' : 'idle past the limit';
    if (machine.warnedAt === undefined) {
      const reclaimAt = now + engine.config.poolManager.reclaimGraceMs;
      await engine.machines.update(machine.id, (r) => (r.state === 'allocated' ? { ...r, warnedAt: now, reclaimAt, activeAt } : undefined));
      publishMachineEvent(engine.bus, { kind: 'reclaim-warning', at: now, machineId: machine.id, type: machine.type, reason, reclaimAt, ...(machine.user ? { user: machine.user } : {}) });
      log().info({ reason, graceMs: engine.config.poolManager.reclaimGraceMs }, 'reclaim warning sent');
      return;
    }
    if (now < (machine.reclaimAt ?? machine.warnedAt + engine.config.poolManager.reclaimGraceMs)) return;
    const reclaimed = await engine.machines.update(machine.id, (r) => (r.state === 'allocated' ? { ...r, state: 'deleting', reason: `reclaimed: ${reason}` } : undefined));
    if (!reclaimed) return;
    this.probedAt.delete(machine.id);
    this.seen.delete(machine.id);
    log().info({ reason, user: machine.user }, 'machine reclaimed');
    publishMachineEvent(engine.bus, { kind: 'reclaimed', at: now, machineId: machine.id, type: machine.type, reason, ...(machine.user ? { user: machine.user } : {}) });
    await recordUsage(engine.bus, { event: 'reclaimed', at: now, installation: engine.installation, type: machine.type, cloud: machine.cloud, machineId: machine.id, reason, ...(machine.user ? { user: machine.user } : {}) });
    engine.kick();
  }
}
