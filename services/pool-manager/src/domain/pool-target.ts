import type { MachineRecord, PoolSettings } from '@hearth/bus';

export type StateCounts = Record<MachineRecord['state'], number>;

export const emptyCounts = (): StateCounts => ({ launching: 0, booting: 0, ready: 0, allocated: 0, deleting: 0, failed: 0 });

/** What one reconcile pass should do to one pool. */
export interface PoolPlan {
  /** Machines to launch now. */
  launch: number;
  /** Ready machines to delete as surplus. */
  trim: number;
  /** The number of ready machines the pool aims for. */
  target: number;
}

/**
 * The warm target is minReady plus the requests queued for this pool, never more than max
 * allows once allocated and in-flight machines are counted; launches are also bounded by
 * the cloud's free instances. Surplus ready machines are trimmed only when nothing is
 * queued. Pure: no I/O, exhaustively unit-tested.
 */
export function planPool(settings: Pick<PoolSettings, 'minReady' | 'max'>, counts: StateCounts, queued: number, headroom: number): PoolPlan {
  const inFlight = counts.launching + counts.booting;
  const alive = inFlight + counts.ready + counts.allocated;
  const room = Math.max(0, settings.max - alive);
  const target = Math.min(settings.minReady + queued, Math.max(0, settings.max - counts.allocated));
  const deficit = target - counts.ready - inFlight;
  const launch = Math.max(0, Math.min(deficit, room, Math.max(0, headroom)));
  const surplus = counts.ready + inFlight - target;
  const trim = queued > 0 ? 0 : Math.max(0, Math.min(surplus, counts.ready));
  return { launch, trim, target };
}
