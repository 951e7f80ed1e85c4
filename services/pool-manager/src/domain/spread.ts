import type { StateCounts } from './pool-target.js';

/** One pool of a machine type, as the spread sees it. */
export interface SpreadPool {
  cloud: string;
  minReady: number;
  max: number;
  weight: number;
  counts: StateCounts;
  /** Its warm machines count towards the type's target: the cloud is neither down nor drained. */
  usable: boolean;
  /** It may take new launches now: usable, quota not full for the type, not backing off. */
  launchable: boolean;
  /** Drained: its ready machines leave as others' ready machines replace them. */
  leaving: boolean;
  /** Launches its quota still allows; Infinity when unknown. */
  headroom: number;
  /** 1, or 0.5 for a degraded cloud. */
  weightFactor: number;
}

/** What one reconcile pass does to one machine type's pools. */
export interface SpreadPlan {
  /** The type's warm target: the sum of its pools' minReady plus its queued requests. */
  target: number;
  /** Machines to launch, by cloud. */
  launch: Map<string, number>;
  /** Ready machines to delete, by cloud. */
  trim: Map<string, number>;
}

const warmOf = (c: StateCounts): number => c.ready + c.launching + c.booting;
const aliveOf = (c: StateCounts): number => warmOf(c) + c.allocated;
/** A pool of weight 0 is filled only when no weighted pool can take a launch. */
const share = (p: SpreadPool): number => Math.max(p.weight * p.weightFactor, 1e-9);

/**
 * Spreads one machine type over its pools (one per cloud). The type's pools share one warm
 * target, T = Σ minReady + queued. Only warm machines (ready, launching, booting) on usable
 * clouds count towards it.
 * - Launch: the deficit T − (usable warm) is launched one machine at a time on the
 *   launchable pool whose warm count after the launch, divided by its weight (halved when
 *   degraded), is lowest; a pool takes no more than max − (its machines alive) and its
 *   quota headroom. What a down, drained, full or backing-off cloud would have taken goes
 *   to the others this way.
 * - Drain (make-before-break): a drained pool keeps max(0, T − usable ready) of its ready
 *   machines; the rest are trimmed, so each leaves only once a replacement is ready.
 * - Surplus (only when nothing is queued): a pool over its max trims its ready machines
 *   down to it; then usable warm above T is trimmed one ready machine at a time from the
 *   pool furthest above its weighted share. A down cloud's machines are left alone.
 * Pure.
 */
export function planSpread(pools: readonly SpreadPool[], queued: number): SpreadPlan {
  const target = pools.reduce((sum, p) => sum + p.minReady, 0) + queued;
  const launch = new Map<string, number>();
  const trim = new Map<string, number>();
  const usable = pools.filter((p) => p.usable);
  const warm = new Map(pools.map((p) => [p.cloud, warmOf(p.counts)]));
  let usableWarm = usable.reduce((sum, p) => sum + warmOf(p.counts), 0);

  for (let need = target - usableWarm; need > 0; need--) {
    let best: SpreadPool | undefined;
    let bestLoad = Infinity;
    for (const p of usable) {
      const planned = launch.get(p.cloud) ?? 0;
      if (!p.launchable || aliveOf(p.counts) + planned >= p.max || planned >= p.headroom) continue;
      const load = ((warm.get(p.cloud) ?? 0) + 1) / share(p);
      if (load < bestLoad || (load === bestLoad && best && p.weight > best.weight)) {
        best = p;
        bestLoad = load;
      }
    }
    if (!best) break;
    launch.set(best.cloud, (launch.get(best.cloud) ?? 0) + 1);
    warm.set(best.cloud, (warm.get(best.cloud) ?? 0) + 1);
  }

  if (queued > 0) return { target, launch, trim };
  const cut = (p: SpreadPool, n: number): void => {
    if (n <= 0) return;
    trim.set(p.cloud, (trim.get(p.cloud) ?? 0) + n);
    warm.set(p.cloud, (warm.get(p.cloud) ?? 0) - n);
  };
  const readyLeft = (p: SpreadPool): number => p.counts.ready - (trim.get(p.cloud) ?? 0);

  let keep = Math.max(0, target - usable.reduce((sum, p) => sum + p.counts.ready, 0));
  for (const p of pools) {
    if (!p.leaving) continue;
    const kept = Math.min(keep, p.counts.ready);
    keep -= kept;
    cut(p, p.counts.ready - kept);
  }
  for (const p of usable) {
    const over = Math.min(readyLeft(p), aliveOf(p.counts) - p.max);
    cut(p, over);
    if (over > 0) usableWarm -= over;
  }
  for (let surplus = usableWarm - target; surplus > 0; surplus--) {
    let worst: SpreadPool | undefined;
    let worstLoad = -Infinity;
    for (const p of usable) {
      if (readyLeft(p) <= 0) continue;
      const load = (warm.get(p.cloud) ?? 0) / share(p);
      if (load > worstLoad) {
        worst = p;
        worstLoad = load;
      }
    }
    if (!worst) break;
    cut(worst, 1);
  }
  return { target, launch, trim };
}
