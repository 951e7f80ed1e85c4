import { recordUsage, subjects, type Bus, type CloudEvent, type CloudHealth, type CloudStatus } from '@hearth/bus';
import type { Quota } from '@hearth/clouds';
import type { Logger } from '@hearth/log';
import type { CloudSettings } from '../config.js';
import type { CloudView } from '../domain/choose-machine.js';
import { judgeHealth, type HealthEvidence } from '../domain/health-score.js';
import type { PoolMetrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { HealthWindow } from './health-window.js';

/** What a launch of one type needs from a quota. */
export interface Shape {
  name: string;
  cpus: number;
  memoryMb: number;
}

const healthGauge: Record<CloudHealth, number> = { healthy: 2, degraded: 1, down: 0 };

/**
 * One cloud's standing: health judged from its window, drained or not, and which types its
 * quota is full for. Every change of health or drain is stored in KV `clouds`, published
 * as a CloudEvent, exported as metrics and logged once; the allocator's view of the cloud
 * follows it. A full quota is not ill health: it is logged once per change and re-checked.
 */
export class CloudMonitor {
  readonly window: HealthWindow;
  private health: CloudHealth = 'healthy';
  private reason: string | undefined;
  private drained = false;
  private drainedBy: string | undefined;
  private changedAt = Date.now();
  private readonly full = new Map<string, string>();
  private reading: { quota: Quota; launchedSince: number } | undefined;
  /** When a probe last brought the cloud back: earlier launch backoffs no longer apply. */
  recoveredAt = 0;
  /** When a down cloud was last probed, and quota last read. */
  probedAt = 0;
  quotaReadAt = 0;

  constructor(
    readonly cloud: { name: string; driver: string; region: string },
    readonly settings: CloudSettings,
    private readonly view: CloudView,
    private readonly deps: { bus: Bus; store: CloudStore; metrics: PoolMetrics; log: Logger; installation: string },
  ) {
    this.window = new HealthWindow(settings.healthWindowMs);
  }

  /** Takes the stored health and drain state (a restart keeps a drained cloud drained). */
  async restore(): Promise<void> {
    const stored = await this.deps.store.get(this.cloud.name);
    if (stored) {
      this.health = stored.health;
      this.reason = stored.reason;
      this.drained = stored.drained;
      this.drainedBy = stored.drainedBy;
      this.changedAt = stored.changedAt;
    }
    this.sync();
  }

  get state(): { health: CloudHealth; drained: boolean; reason: string | undefined } {
    return { health: this.health, drained: this.drained, reason: this.reason };
  }

  /** May this cloud take a new launch of this type? Not down, not drained, quota not full for it. */
  launchable(type: string): boolean {
    return this.health !== 'down' && !this.drained && !this.full.has(type);
  }

  /** Launches of this shape the last quota reading still allows; Infinity when unknown or unlimited. */
  headroom(shape: Shape): number {
    if (!this.reading) return Infinity;
    const { limits, used } = this.reading.quota;
    const free = Math.min(limits.instances - used.instances, (limits.cores - used.cores) / shape.cpus, (limits.ramMb - used.ramMb) / shape.memoryMb);
    return Math.max(0, Math.floor(free) - this.reading.launchedSince);
  }

  /** A launch was started: it uses headroom the last reading did not see. */
  noteLaunch(): void {
    if (this.reading) this.reading.launchedSince++;
  }

  /** Judges health from the window (a down cloud stays down until a probe succeeds). */
  async judge(): Promise<void> {
    if (this.health === 'down') return;
    const verdict = judgeHealth(this.evidence(), this.settings);
    if (verdict.health !== this.health) await this.setHealth(verdict.health, verdict.reason);
    // the same judgement with fresher numbers: shown in clouds.list, not stored or announced
    else this.reason = verdict.reason;
  }

  /**
   * A probe of a down cloud answered. Down for failing API calls: it starts again with a
   * clean record. Down for failing launches: a probe proves the API, not launches, so the
   * launch record stays and the next launch is a trial: one more failure and it is down again.
   */
  async probeSucceeded(downForMs: number): Promise<void> {
    const byLaunches = this.window.failedLaunchesInRow >= this.settings.downAfterFailures;
    if (byLaunches) {
      this.window.failedCallsInRow = 0;
      this.window.failedLaunchesInRow = this.settings.downAfterFailures - 1;
    } else this.window.reset();
    this.recoveredAt = Date.now();
    const verdict = judgeHealth(this.evidence(), this.settings);
    await this.setHealth(verdict.health, verdict.reason ?? (byLaunches ? 'probe answered; the next launch is a trial' : undefined), { downForMs });
  }

  async setDrained(drained: boolean, by: string): Promise<CloudStatus> {
    if (drained !== this.drained) {
      this.drained = drained;
      this.drainedBy = drained ? by : undefined;
      await this.changed(drained ? 'drained' : 'undrained', by);
      this.deps.log.info({ cloud: this.cloud.name, by }, drained ? 'cloud drained' : 'cloud undrained');
      await recordUsage(this.deps.bus, { event: drained ? 'drained' : 'undrained', at: this.changedAt, installation: this.deps.installation, type: '*', cloud: this.cloud.name, region: this.cloud.region, by });
    }
    return this.status();
  }

  /** The cloud refused a launch of this type for quota: no more launches of it here until a reading shows room. */
  markFull(type: string, reason: string): void {
    if (this.full.has(type)) return;
    this.full.set(type, reason);
    this.deps.metrics.cloudQuotaFull.set({ cloud: this.cloud.name, type }, 1);
    this.deps.log.warn({ cloud: this.cloud.name, type, reason }, 'cloud quota full; launches go to other clouds');
  }

  isFull(type: string): boolean {
    return this.full.has(type);
  }

  /** A fresh quota reading: types without room are full, full types with room again are not. */
  quotaRead(quota: Quota, shapes: readonly Shape[]): void {
    this.reading = { quota, launchedSince: 0 };
    for (const shape of shapes) {
      const room = this.headroom(shape) >= 1;
      if (!room) this.markFull(shape.name, describeQuota(quota));
      else if (this.full.delete(shape.name)) {
        this.deps.metrics.cloudQuotaFull.set({ cloud: this.cloud.name, type: shape.name }, 0);
        this.deps.log.info({ cloud: this.cloud.name, type: shape.name, quota: describeQuota(quota) }, 'cloud quota has room again');
      }
    }
  }

  status(): CloudStatus {
    const quota = this.reading?.quota;
    return {
      name: this.cloud.name,
      driver: this.cloud.driver,
      region: this.cloud.region,
      health: this.health,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      drained: this.drained,
      ...(this.drainedBy === undefined ? {} : { drainedBy: this.drainedBy }),
      changedAt: this.changedAt,
      stats: this.window.stats(),
      ...(quota ? { quota: { limits: limitsOrNull(quota.limits), used: { ...quota.used } } } : {}),
    };
  }

  private evidence(): HealthEvidence {
    const w = this.window;
    return { stats: w.stats(), failedCallsInRow: w.failedCallsInRow, failedLaunchesInRow: w.failedLaunchesInRow, lastError: w.lastError };
  }

  private async setHealth(health: CloudHealth, reason: string | undefined, extra: Record<string, unknown> = {}): Promise<void> {
    const before = this.health;
    this.health = health;
    this.reason = reason;
    if (health === 'down') this.probedAt = Date.now();
    await this.changed('health');
    const better = healthGauge[health] > healthGauge[before];
    const log = { cloud: this.cloud.name, health, was: before, ...(reason ? { reason } : {}), ...extra };
    if (better) this.deps.log.info(log, 'cloud health changed');
    else this.deps.log.warn(log, 'cloud health changed');
  }

  private async changed(kind: CloudEvent['kind'], by?: string): Promise<void> {
    this.changedAt = Date.now();
    this.sync();
    const status = this.status();
    await this.deps.store.save(status);
    const event: CloudEvent = {
      kind,
      at: this.changedAt,
      cloud: this.cloud.name,
      health: this.health,
      drained: this.drained,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      ...(by === undefined ? {} : { by }),
    };
    this.deps.bus.nc.publish(`${subjects.clouds.eventPrefix}.${kind}`, JSON.stringify(event));
  }

  /** The allocator's view and the gauges follow the state. */
  private sync(): void {
    this.view.health = this.health;
    this.view.healthy = this.health !== 'down';
    this.view.drained = this.drained;
    this.deps.metrics.cloudHealth.set({ cloud: this.cloud.name }, healthGauge[this.health]);
    this.deps.metrics.cloudDrained.set({ cloud: this.cloud.name }, this.drained ? 1 : 0);
  }
}

/** `instances 3/3, cores 6/8, ramMb 3072/∞`. */
function describeQuota(q: Quota): string {
  const one = (k: keyof Quota['limits']): string => `${k} ${q.used[k]}/${Number.isFinite(q.limits[k]) ? q.limits[k] : '∞'}`;
  return `${one('instances')}, ${one('cores')}, ${one('ramMb')}`;
}

/** Quota limits as JSON can carry them: null where the cloud sets no limit (Infinity). */
function limitsOrNull(limits: Quota['limits']): { instances: number | null; cores: number | null; ramMb: number | null } {
  const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);
  return { instances: finite(limits.instances), cores: finite(limits.cores), ramMb: finite(limits.ramMb) };
}
