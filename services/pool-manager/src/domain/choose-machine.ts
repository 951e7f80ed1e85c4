import type { MachineRecord } from '@hearth/bus';

/** How the allocator sees a cloud when choosing. */
export interface CloudView {
  weight: number;
  healthy: boolean;
  drained: boolean;
}

/**
 * Picks the ready machine to hand out: in the requested region if one was asked for; then
 * on a healthy, undrained cloud; among those, the cloud with the highest weight; within a
 * cloud, the machine ready longest. Skips machines another request in this process is
 * already claiming. Pure.
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
    const cloud = opts.clouds.get(machine.cloud);
    // a healthy cloud always beats an unhealthy one; weight orders clouds of equal health
    const score = (cloud?.healthy && !cloud.drained ? 1_000_000 : 0) + (cloud?.weight ?? 0);
    if (score > bestScore) {
      best = machine;
      bestScore = score;
    }
  }
  return best;
}
