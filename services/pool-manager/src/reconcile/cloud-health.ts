import type { Cloud } from '../clouds.js';
import type { Shape } from '../clouds/cloud-monitor.js';
import type { Engine } from '../engine.js';
import type { Reconciler } from './reconciler.js';

/**
 * `cloud.health`: judges every cloud from its window of measured calls; probes a down cloud
 * every `probeIntervalMs` (a success brings it back, with a clean record); reads each
 * cloud's quota every `quotaCheckIntervalMs` (headroom, and whether a full cloud has room
 * again). Probes and quota reads run outside the pass, so a slow cloud holds up nothing.
 */
export class CloudHealth implements Reconciler {
  readonly name = 'cloud.health';

  async reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }> {
    const now = Date.now();
    for (const cloud of engine.clouds.values()) {
      const { monitor, settings } = cloud;
      await monitor.judge();
      if (monitor.state.health === 'down' && now - monitor.probedAt >= settings.probeIntervalMs) {
        monitor.probedAt = now;
        cloud.tasks.start('probe', (signal) => this.probe(engine, cloud, signal));
      }
      if (now - monitor.quotaReadAt >= settings.quotaCheckIntervalMs) {
        monitor.quotaReadAt = now;
        cloud.tasks.start('quota', (signal) => this.readQuota(engine, cloud, signal));
      }
    }
    return {};
  }

  private async probe(engine: Engine, cloud: Cloud, signal: AbortSignal): Promise<void> {
    const log = engine.log.child({ cloud: cloud.name, reconciler: this.name });
    const since = cloud.monitor.status().changedAt;
    try {
      await cloud.driver.probe({ signal, log });
    } catch (err) {
      log.debug({ err }, 'probe failed; the cloud stays down');
      return;
    }
    await cloud.monitor.probeSucceeded(Date.now() - since);
    engine.kick(); // its share comes back at once
  }

  private async readQuota(engine: Engine, cloud: Cloud, signal: AbortSignal): Promise<void> {
    const log = engine.log.child({ cloud: cloud.name, reconciler: this.name });
    const shapes: Shape[] = [];
    for (const pool of engine.pools.all()) {
      const type = engine.types.get(pool.type);
      if (pool.cloud === cloud.name && type) shapes.push({ name: type.name, cpus: type.cpus, memoryMb: type.memoryMb });
    }
    let quota;
    try {
      quota = await cloud.driver.quota({ signal, log });
    } catch (err) {
      log.debug({ err }, 'reading quota failed; will try again');
      return;
    }
    const fullBefore = shapes.filter((s) => cloud.monitor.isFull(s.name)).length;
    cloud.monitor.quotaRead(quota, shapes);
    if (shapes.filter((s) => cloud.monitor.isFull(s.name)).length < fullBefore) engine.kick();
  }
}
