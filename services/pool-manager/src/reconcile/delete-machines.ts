import type { Engine } from '../engine.js';
import type { Reconciler } from './reconciler.js';

/** Terminations in flight per cloud at most. */
const deletesPerCloud = 16;

/**
 * `pool.delete-machines`: every machine in `deleting` or `failed` has its instance
 * terminated (idempotent: already gone counts as done) and its record removed. The cloud
 * calls run outside the pass, one per machine at a time, so a slow cloud holds up nothing.
 */
export class DeleteMachines implements Reconciler {
  readonly name = 'pool.delete-machines';

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const started = new Map<string, number>();
    for (const machine of [...engine.machines.inState('deleting'), ...engine.machines.inState('failed')]) {
      const cloud = engine.clouds.get(machine.cloud);
      const log = engine.log.child({ machineId: machine.id, cloud: machine.cloud, reconciler: this.name });
      if (!cloud || !machine.cloudRef) {
        // nothing to terminate (a launch that failed before the cloud gave an id, or a cloud no longer configured)
        await engine.machines.remove(machine.id).then(
          () => log.info({ reason: machine.reason }, 'machine deleted'),
          (err: unknown) => log.warn({ err }, 'deleting failed; will try again'),
        );
        continue;
      }
      const n = started.get(cloud.name) ?? 0;
      if (n >= deletesPerCloud) continue;
      const cloudRef = machine.cloudRef;
      if (
        cloud.tasks.start(`delete:${machine.id}`, async (signal) => {
          cloud.access.forget(machine.id);
          try {
            await cloud.driver.terminate({ id: cloudRef }, { log, signal });
            await engine.machines.remove(machine.id);
            log.info({ reason: machine.reason }, 'machine deleted');
          } catch (err) {
            log.warn({ err }, 'deleting failed; will try again');
          }
        })
      ) {
        started.set(cloud.name, n + 1);
      }
    }
    return {};
  }
}
