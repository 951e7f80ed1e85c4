import { publishMachineEvent, recordUsage, type MachineRecord } from '@hearth/bus';
import { failMachine } from './fail-machine.js';
import type { Engine } from '../engine.js';
import { forEachLimited, type Reconciler } from './reconciler.js';

/**
 * `pool.watch-boot`: every booting machine is asked of its cloud; once the cloud says
 * running with an address and an SSH login as root works, it becomes ready. Past its
 * boot deadline, in the cloud's error state, or gone from the cloud, it fails.
 * Launching records older than a minute with no cloud id (a crash mid-launch) fail too.
 */
export class WatchBoot implements Reconciler {
  readonly name = 'pool.watch-boot';

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const booting: MachineRecord[] = [];
    const now = Date.now();
    for (const m of engine.machines.all()) {
      if (m.state === 'booting') booting.push(m);
      else if (m.state === 'launching' && now - m.createdAt > 60_000) await failMachine(engine, m, 'launch never completed');
    }
    await forEachLimited(booting, 32, (m) => this.check(engine, m));
    return booting.length > 0 ? { requeueAfterMs: 250 } : {};
  }

  private async check(engine: Engine, machine: MachineRecord): Promise<void> {
    const cloud = engine.clouds.get(machine.cloud);
    if (!cloud || !machine.cloudRef) return;
    const log = engine.log.child({ machineId: machine.id, cloud: machine.cloud, reconciler: this.name });
    if (machine.bootDeadline !== undefined && Date.now() > machine.bootDeadline) {
      await failMachine(engine, machine, 'boot timed out');
      return;
    }
    let instance;
    try {
      instance = await cloud.driver.describe({ id: machine.cloudRef }, { log });
    } catch (err) {
      log.debug({ err }, 'describe failed; will ask again');
      return;
    }
    if (!instance) {
      await failMachine(engine, { ...machine, vanished: true }, 'instance vanished from the cloud while booting');
      return;
    }
    if (instance.state === 'error' || instance.state === 'stopped' || instance.state === 'deleting') {
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
    const ready = await engine.machines.update(machine.id, (r) => (r.state === 'booting' ? { ...r, state: 'ready', privateIp, readyAt } : undefined));
    if (!ready) return;
    const bootMs = readyAt - (machine.launchedAt ?? machine.createdAt);
    engine.metrics.bootSeconds.observe({ type: machine.type, cloud: machine.cloud }, bootMs / 1000);
    log.info({ bootMs }, 'machine ready');
    publishMachineEvent(engine.bus, { kind: 'ready', at: readyAt, machineId: machine.id, type: machine.type });
    await recordUsage(engine.bus, { event: 'ready', at: readyAt, installation: engine.installation, type: machine.type, cloud: machine.cloud, region: machine.region, machineId: machine.id, bootMs });
  }
}
