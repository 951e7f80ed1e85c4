import type { MachineRecord } from '@hearth/bus';
import type { Engine } from '../engine.js';
import { forEachLimited, type Reconciler } from './reconciler.js';

/**
 * `pool.delete-machines`: every machine in `deleting` or `failed` has its instance
 * terminated (idempotent: already gone counts as done) and its record removed.
 */
export class DeleteMachines implements Reconciler {
  readonly name = 'pool.delete-machines';

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const doomed: MachineRecord[] = [];
    for (const m of engine.machines.all()) if (m.state === 'deleting' || m.state === 'failed') doomed.push(m);
    await forEachLimited(doomed, 16, async (machine) => {
      const cloud = engine.clouds.get(machine.cloud);
      const log = engine.log.child({ machineId: machine.id, cloud: machine.cloud, reconciler: this.name });
      cloud?.access.forget(machine.id);
      try {
        if (cloud && machine.cloudRef) await cloud.driver.terminate({ id: machine.cloudRef }, { log });
        await engine.machines.remove(machine.id);
        log.info({ reason: machine.reason }, 'machine deleted');
      } catch (err) {
        log.warn({ err }, 'deleting failed; will try again');
      }
    });
    return {};
  }
}
