import type { CloudHealth, MachineRecord } from '@hearth/bus';

/** How the allocator sees a cloud when choosing. */
export interface CloudView {
  weight: number;
  /** Not down. */
  healthy: boolean;
  drained: boolean;
  /** The cloud's judged health; when absent, `healthy` decides (healthy or down). */
  health?: CloudHealth;
}

const rank: Record<CloudHealth, number> = { healthy: 2, degraded: 1, down: 0 };

/** Higher is better: an undrained cloud beats a drained one, then health, then weight. */
export function cloudScore(cloud: CloudView | undefined): number {
  if (!cloud) return 0;
  const health = rank[cloud.health ?? (cloud.healthy ? 'healthy' : 'down')];
  return (cloud.drained ? 0 : 1 + health) * 1_000_000 + cloud.weight;
}

/**
 * Picks the ready machine to hand out: in the requested region if one was asked for; then
 * on an undrained cloud; then the healthiest cloud (healthy, degraded, down); among those,
 * the cloud with the highest weight; within a cloud, the machine ready longest. Skips
 * machines another request in this process is already claiming. Pure.
 */
export function chooseMachine(
  ready: Iterable<MachineRecord>,
  opts: { region?: string; clouds: ReadonlyMap<string, CloudView>; claimed: ReadonlySet<string> },
): MachineRecord | undefined {
  let best: MachineRecord | undefined;
  let bestScore = -Infinity;
  for (const machine of ready) {
    if (opts.claimed.has(machine.id)) continue;
    if (opts.region !== undefined && machine.region !== opts.region) continue;
    const score = cloudScore(opts.clouds.get(machine.cloud));
    if (score > bestScore) {
      best = machine;
      bestScore = score;
    }
  }
  return best;
}
