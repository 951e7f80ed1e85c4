import { publishMachineEvent, recordUsage, type MachineRecord } from '@hearth/bus';
import type { Engine } from '../engine.js';

/** Moves a machine to failed (the delete reconciler removes it) and records why. */
export async function failMachine(engine: Engine, machine: MachineRecord, reason: string): Promise<void> {
  const done = await engine.machines.update(machine.id, (r) =>
    r.state === 'failed' || r.state === 'deleting' ? undefined : { ...r, state: 'failed', reason, ...(machine.vanished ? { vanished: true } : {}) },
  );
  if (!done) return;
  // a request this machine was launched for hears of the next launch instead
  engine.queue.unassign(machine.id);
  engine.log.warn({ machineId: machine.id, cloud: machine.cloud, reason }, 'machine failed');
  publishMachineEvent(engine.bus, { kind: 'failed', at: Date.now(), machineId: machine.id, type: machine.type, reason, ...(machine.user ? { user: machine.user } : {}) });
  await recordUsage(engine.bus, { event: 'failed', at: Date.now(), installation: engine.installation, type: machine.type, cloud: machine.cloud, machineId: machine.id, reason, ...(machine.user ? { user: machine.user } : {}) });
}
