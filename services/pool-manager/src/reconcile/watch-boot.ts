import { publishMachineEvent, recordUsage, type MachineRecord } from '@hearth/bus';
import { failMachine } from './fail-machine.js';
import type { Cloud } from '../clouds.js';
import type { Engine } from '../engine.js';
import type { Reconciler } from './reconciler.js';

/** Describes in flight per cloud at most, so a cloud's many booting machines do not crowd its API. */
const describesPerCloud = 32;

/**
 * `pool.watch-boot`: every booting machine is asked of its cloud; once the cloud says
 * running with an address and an SSH login as root works, it becomes ready. Past its
 * boot deadline, in the cloud's error state, or gone from the cloud, it fails.
 * Launching records older than a minute with no cloud id (a crash mid-launch) fail too.
 * The cloud calls run outside the pass (one per machine at a time), so a slow cloud holds
 * up neither the pass nor the other clouds' machines.
 */
export class WatchBoot implements Reconciler {
  readonly name = 'pool.watch-boot';

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const booting: MachineRecord[] = [...engine.machines.inState('booting')];
    const now = Date.now();
    // oldest first: the loop ends at the first launch younger than a minute
    for (const m of [...engine.machines.inState('launching')]) {
      if (now - m.createdAt <= 60_000) break;
      await failMachine(engine, m, 'launch never completed');
    }
    for (const machine of booting) {
      const cloud = engine.clouds.get(machine.cloud);
      if (!cloud || !machine.cloudRef) continue;
      if (machine.bootDeadline !== undefined && now > machine.bootDeadline) {
        cloud.monitor.window.recordLaunch(false, `machine ${machine.id} did not boot within its boot timeout`);
        await failMachine(engine, machine, 'boot timed out');
        continue;
      }
      if (cloud.tasks.size >= describesPerCloud) continue;
      cloud.tasks.start(`boot:${machine.id}`, (signal) => this.check(engine, cloud, machine, machine.cloudRef as string, signal));
    }
    return booting.length > 0 ? { requeueAfterMs: 250 } : {};
  }

  private async check(engine: Engine, cloud: Cloud, machine: MachineRecord, cloudRef: string, signal: AbortSignal): Promise<void> {
    const log = engine.log.child({ machineId: machine.id, cloud: machine.cloud, reconciler: this.name });
    let instance;
    try {
      instance = await cloud.driver.describe({ id: cloudRef }, { log, signal });
    } catch (err) {
      log.debug({ err }, 'describe failed; will ask again');
      return;
    }
    if (!instance) {
      // clouds are eventually consistent (EC2 may not know an instance it just made): an
      // instance is only gone once the cloud has had time to know it
      if (Date.now() - (machine.launchedAt ?? machine.createdAt) < engine.config.poolManager.vanishGraceMs) return;
      await failMachine(engine, { ...machine, vanished: true }, 'instance vanished from the cloud while booting');
      return;
    }
    if (instance.state === 'error' || instance.state === 'stopped' || instance.state === 'deleting') {
      cloud.monitor.window.recordLaunch(false, `machine ${machine.id}: instance ${instance.state}${instance.fault ? `: ${instance.fault}` : ''}`);
      await failMachine(engine, machine, `instance ${instance.state}${instance.fault ? `: ${instance.fault}` : ''}`);
      return;
    }
    if (instance.state !== 'running' || !instance.privateIp) return;
    const privateIp = instance.privateIp;
    const withIp = { ...machine, privateIp };
    try {
      await cloud.access.probe(withIp);
    } catch {
      return; // sshd not up yet: the next pass tries again
    }
    const readyAt = Date.now();
    // read before the write: a machine turning ready wakes the first in line, who leaves the queue
    const waiter = engine.queue.launchedFor(machine.id);
    const ready = await engine.machines.update(machine.id, (r) => (r.state === 'booting' ? { ...r, state: 'ready', privateIp, readyAt } : undefined));
    if (!ready) return;
    const bootMs = readyAt - (machine.launchedAt ?? machine.createdAt);
    cloud.monitor.window.recordBoot(bootMs);
    engine.metrics.bootSeconds.observe({ type: machine.type, cloud: machine.cloud }, bootMs / 1000);
    log.info({ bootMs }, 'machine ready');
    // told to the request it was launched for (it goes to whoever is first in line, most likely that one)
    publishMachineEvent(engine.bus, { kind: 'ready', at: readyAt, machineId: machine.id, type: machine.type, ...(waiter ? { requestId: waiter.requestId, user: waiter.request.user } : {}) });
    await recordUsage(engine.bus, { event: 'ready', at: readyAt, installation: engine.installation, type: machine.type, cloud: machine.cloud, region: machine.region, machineId: machine.id, bootMs });
  }
}
