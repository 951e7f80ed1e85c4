import { join, resolve } from 'node:path';
import { buckets, busOptionsFrom, connectBus, createService, ensureStorage, openKv, RequestRecord } from '@hearth/bus';
import { createMetricsRegistry, startMetricsServer, type Logger, type MetricsServer } from '@hearth/log';
import { loadOrCreateKeyPair } from '@hearth/ssh';
import { Allocator } from './allocate/allocator.js';
import { endRequestsLeftQueued, RequestQueue } from './allocate/request-queue.js';
import { serveEndpoints } from './api/endpoints.js';
import { createClouds } from './clouds.js';
import type { PoolManagerConfig } from './config.js';
import type { Engine } from './engine.js';
import { PoolMetrics } from './metrics.js';
import { CloudHealth } from './reconcile/cloud-health.js';
import { Controller } from './reconcile/controller.js';
import { DeleteMachines } from './reconcile/delete-machines.js';
import { LaunchDeficit } from './reconcile/launch-deficit.js';
import { ReclaimIdle } from './reconcile/reclaim-idle.js';
import { SweepLeaks } from './reconcile/sweep-leaks.js';
import { WatchBoot } from './reconcile/watch-boot.js';
import { MachineStore } from './store/machine-store.js';
import { CloudStore } from './store/cloud-store.js';
import { PoolStore } from './store/pool-store.js';
import { version } from './version.js';

export { PoolManagerConfig, checkReferences } from './config.js';
export type { Engine } from './engine.js';

export interface PoolManagerDeps {
  config: PoolManagerConfig;
  log: Logger;
}

export interface RunningPoolManager {
  engine: Engine;
  controller: Controller;
  allocator: Allocator;
  stop(): Promise<void>;
}

/**
 * Starts the pool manager: storage, clouds, the machine index, the request endpoints and
 * the reconcile loop. Integration tests call this in-process.
 */
export async function start(deps: PoolManagerDeps): Promise<RunningPoolManager> {
  const { config, log } = deps;
  const settings = config.poolManager;
  const bus = await connectBus(busOptionsFrom(config.nats, 'pool-manager', log));
  await ensureStorage(bus, { replicas: config.nats.replicas });
  const key = loadOrCreateKeyPair(settings.sshKeyFile ?? join(resolve(config.dataDir), 'ssh', 'id_ed25519'), `hearth-${config.installation}`);
  const registry = createMetricsRegistry('pool-manager');
  const metrics = new PoolMetrics(registry);
  const clouds = createClouds(config.clouds, { log, config, key, metrics, bus, store: await CloudStore.open(bus) });
  for (const cloud of clouds.values()) await cloud.monitor.restore();
  const machines = await MachineStore.open(bus, log);
  const pools = await PoolStore.open(bus, config);
  const engine: Engine = {
    config,
    installation: config.installation,
    bus,
    log,
    machines,
    pools,
    clouds,
    types: new Map(config.machineTypes.map((t) => [t.name, t])),
    queue: new RequestQueue(),
    requests: await openKv(bus, buckets.requests, RequestRecord),
    metrics,
    key,
    kick: () => undefined,
  };
  // before the endpoints: every record still queued now belongs to a process that is gone
  await endRequestsLeftQueued(engine.requests, log);
  const controller = new Controller(engine, [new CloudHealth(), new WatchBoot(), new LaunchDeficit(), new DeleteMachines(), new SweepLeaks(settings.leakSweepIntervalMs), new ReclaimIdle()], settings.reconcileIntervalMs);
  engine.kick = () => controller.kick();
  const allocator = new Allocator(engine);
  const service = await createService(bus, { name: 'pool-manager', version, description: 'warm pools, allocation, reconcile' });
  serveEndpoints(service, engine, allocator);
  await service.ready();
  const metricsServer: MetricsServer = await startMetricsServer({ registry, host: settings.metricsHost, port: settings.metricsPort, log });
  service.urls['metrics'] = `http://${settings.metricsHost}:${metricsServer.port}/metrics`;
  service.addHealthCheck('reconcile', () => ({ ok: true, detail: `last pass ${controller.lastPassMs.toFixed(1)} ms, ${machines.size} machines` }));
  controller.start();
  log.info({ clouds: [...clouds.keys()], pools: pools.all().length }, 'pool manager started');
  return {
    engine,
    controller,
    allocator,
    stop: async () => {
      allocator.stop();
      await service.stop();
      // background cloud calls are aborted first, so a slow cloud does not hold up the stop
      await Promise.all([...clouds.values()].map((cloud) => cloud.tasks.stop()));
      await controller.stop();
      machines.stop();
      for (const cloud of clouds.values()) {
        cloud.access.close();
        await cloud.driver.close();
      }
      await metricsServer.close();
      await bus.drain();
    },
  };
}
