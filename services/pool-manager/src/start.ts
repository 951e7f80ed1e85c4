import { join, resolve } from 'node:path';
import { buckets, busOptionsFrom, connectBus, createService, ensureStorage, Lease, openKv, RequestRecord, type LeaseRole, type WithdrawOptions } from '@hearth/bus';
import { createMetricsRegistry, startMetricsServer, type Logger, type MetricsServer } from '@hearth/log';
import { loadOrCreateKeyPair } from '@hearth/ssh';
import { Allocator } from './allocate/allocator.js';
import { endRequestsLeftQueued, RequestQueue } from './allocate/request-queue.js';
import { serveEndpoints } from './api/endpoints.js';
import { createClouds, type Cloud } from './clouds.js';
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
  /** The leader's working set. @throws Error on a standby (see `role`). */
  readonly engine: Engine;
  readonly controller: Controller;
  readonly allocator: Allocator;
  /** `leader` while this replica holds the lease and serves; `standby` otherwise. */
  readonly role: LeaseRole;
  readonly lease: Lease;
  /** Resolves once this replica leads and serves (at once when it does). */
  leading(): Promise<void>;
  stop(): Promise<void>;
}

/** What a replica runs only while it holds the lease. */
interface Active {
  engine: Engine;
  controller: Controller;
  allocator: Allocator;
  stop(): Promise<void>;
}

/**
 * Starts the pool manager: storage, the machine index, health and metrics, then campaigns
 * for the `pool-manager` lease. The replica holding it serves the request endpoints and
 * runs the reconcile loop; the others keep their machine index warm and stand by. Resolves
 * after the first attempt, so a lone pool manager leads when this returns. Integration
 * tests call this in-process.
 */
export async function start(deps: PoolManagerDeps): Promise<RunningPoolManager> {
  const { config, log } = deps;
  const settings = config.poolManager;
  const bus = await connectBus(busOptionsFrom(config.nats, 'pool-manager', log));
  await ensureStorage(bus, { replicas: config.nats.replicas });
  const key = loadOrCreateKeyPair(settings.sshKeyFile ?? join(resolve(config.dataDir), 'ssh', 'id_ed25519'), `hearth-${config.installation}`);
  const registry = createMetricsRegistry('pool-manager');
  const metrics = new PoolMetrics(registry);
  const cloudStore = await CloudStore.open(bus);
  const machines = await MachineStore.open(bus, log);
  const requests = await openKv(bus, buckets.requests, RequestRecord);
  const service = await createService(bus, { name: 'pool-manager', version, description: 'warm pools, allocation, reconcile' });
  const metricsServer: MetricsServer = await startMetricsServer({ registry, host: settings.metricsHost, port: settings.metricsPort, log });
  service.urls['metrics'] = `http://${settings.metricsHost}:${metricsServer.port}/metrics`;

  let active: Active | undefined;
  let stopping = false;
  /** Why the last attempt to take over failed, while it stands. */
  let activationFailure: string | undefined;
  const leading = (): boolean => lease.role === 'leader' && !stopping;
  const leaseGone = (): void => {
    if (!leading()) throw new LeaseGone();
  };

  /**
   * Builds the clouds, restores their health, reads the pools, ends what a former leader left
   * queued, then serves and reconciles. Undoes what it built when it fails or the lease goes.
   */
  const activate = async (): Promise<Active> => {
    // what is built so far: an undone takeover tears down exactly this, as a stop does
    const built: Built = {};
    try {
      const clouds = (built.clouds = createClouds(config.clouds, { log, config, key, metrics, bus, store: cloudStore }));
      for (const cloud of clouds.values()) await cloud.monitor.restore();
      leaseGone();
      // read now, not at start: another replica may have resized pools while this one stood by
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
        requests,
        metrics,
        key,
        kick: () => undefined,
      };
      // before the endpoints: only the leader queues requests, so every record still queued belongs to a process that is gone
      await endRequestsLeftQueued(requests, log, leading);
      leaseGone();
      const controller = (built.controller = new Controller(engine, [new CloudHealth(), new WatchBoot(), new LaunchDeficit(), new DeleteMachines(), new SweepLeaks(settings.leakSweepIntervalMs), new ReclaimIdle()], settings.reconcileIntervalMs));
      const allocator = (built.allocator = new Allocator(engine));
      built.withdraw = service.group(() => serveEndpoints(service, engine, allocator));
      await service.ready();
      leaseGone();
      // kicks (a request queued) start passes only from here: before, an undo could leave a loop running
      engine.kick = () => controller.kick();
      controller.start();
      log.info({ clouds: [...clouds.keys()], pools: pools.all().length }, 'pool manager leading: serving and reconciling');
      return { engine, controller, allocator, stop: () => stepDown(built, log, metrics) };
    } catch (err) {
      await stepDown(built, log, metrics);
      throw err;
    }
  };

  // role changes are carried out one after another, so an activation is never torn down half-built
  let transition: Promise<void> = Promise.resolve();
  const waiters: (() => void)[] = [];
  const lease = new Lease(bus, {
    // named by the installation, like everything the pool manager owns
    name: `pool-manager.${config.installation}`,
    holder: service.id,
    ttlMs: Math.round(settings.leaseTtlMs),
    log,
    onRole: (role) => {
      metrics.leader.set(role === 'leader' ? 1 : 0);
      transition = transition.then(async () => {
        if (role === 'leader' && !active && !stopping) {
          try {
            active = await activate();
            activationFailure = undefined;
            for (const wake of waiters.splice(0)) wake();
          } catch (err) {
            if (err instanceof LeaseGone) {
              log.warn('the lease went while taking over; standing by');
              return;
            }
            // hand it to another replica, and try again after a ttl if none takes it
            activationFailure = err instanceof Error ? err.message : String(err);
            log.error({ err }, 'could not take over; handing the lease back');
            await lease.release(`could not take over: ${activationFailure}`, settings.leaseTtlMs);
          }
        } else if (role === 'standby' && active) {
          const was = active;
          active = undefined;
          await was.stop();
        }
      }).catch((err: unknown) => log.error({ err, role }, 'pool manager could not change role'));
    },
  });
  metrics.leader.set(0);
  service.addHealthCheck('reconcile', () => {
    if (active) return { ok: true, detail: `leading; last pass ${active.controller.lastPassMs.toFixed(1)} ms, ${machines.size} machines` };
    const holder = lease.holder;
    // unhealthy only while no other replica leads in its place
    if (activationFailure !== undefined && !holder) return { ok: false, detail: `could not take over: ${activationFailure}; trying again` };
    if (activationFailure !== undefined && holder) return { ok: true, detail: `standby; ${holder.holder} on ${holder.host} (pid ${holder.pid}) leads; this replica could not take over: ${activationFailure}` };
    return { ok: true, detail: holder ? `standby; ${holder.holder} on ${holder.host} (pid ${holder.pid}) leads` : 'standby; campaigning for the lease' };
  });
  await lease.start();
  await transition;

  const current = (): Active => {
    if (!active) throw new Error('this pool manager is a standby: it does not serve or reconcile until it holds the lease');
    return active;
  };
  return {
    get engine() {
      return current().engine;
    },
    get controller() {
      return current().controller;
    },
    get allocator() {
      return current().allocator;
    },
    get role() {
      return active ? 'leader' : 'standby';
    },
    lease,
    leading: () => (active ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    stop: async () => {
      stopping = true;
      await transition;
      const was = active;
      active = undefined;
      await was?.stop();
      // handed back only once nothing here serves or reconciles, so a standby can take over at once
      await settle(log, 'handing the lease back', () => lease.stop());
      await settle(log, 'stopping the service', () => service.stop());
      machines.stop();
      await settle(log, 'closing /metrics', () => metricsServer.close());
      await settle(log, 'draining the NATS connection', () => bus.drain());
    },
  };
}

/**
 * How long a stepping-down leader waits for the requests it is answering (a personalization
 * over SSH) and their background work: well inside the 10 s a stopping service is given.
 */
const answeringWaitMs = 3_000;

/** What a takeover has built so far. */
interface Built {
  clouds?: Map<string, Cloud>;
  controller?: Controller;
  allocator?: Allocator;
  withdraw?: (opts?: WithdrawOptions) => Promise<void>;
}

/** Tears down what a takeover built: after a stop, a lost lease, or a takeover that failed midway. */
async function stepDown(built: Built, log: Logger, metrics: PoolMetrics): Promise<void> {
  const { clouds, controller, allocator, withdraw } = built;
  // no new pass or launch from here on
  const passes = controller?.stop();
  // requests go to the next leader once the endpoints are withdrawn; those that reached this one
  // before are served, and only those waiting in its queue are ended (the allocator stops once
  // nothing new arrives, so the withdrawal never waits on them)
  if (withdraw) await settle(log, 'withdrawing the endpoints', () => withdraw({ unsubscribed: () => allocator?.stop(), waitMs: answeringWaitMs }));
  allocator?.stop();
  // owner tags and usage records of the last answers, before their clouds close
  await allocator?.settled(answeringWaitMs);
  const all = [...(clouds?.values() ?? [])];
  // background cloud calls are aborted, so a slow cloud does not hold up the stop
  await settle(log, 'stopping the cloud tasks', () => Promise.all(all.map((cloud) => cloud.tasks.stop())));
  await settle(log, 'finishing the reconcile pass', () => passes);
  if (clouds) await settle(log, 'closing the clouds', () => closeClouds(clouds));
  // a standby reports no pools or clouds of its own, so sums over replicas stay right
  metrics.resetLeaderGauges();
}

/** The lease went (or the process is stopping) while this replica was taking over. */
class LeaseGone extends Error {
  constructor() {
    super('the lease went while taking over');
  }
}

/** One step of a teardown: its failure is logged and the next step still runs. */
async function settle(log: Logger, what: string, step: () => Promise<unknown> | void): Promise<void> {
  try {
    await step();
  } catch (err) {
    log.warn({ err }, `${what} failed; going on`);
  }
}

async function closeClouds(clouds: Map<string, Cloud>): Promise<void> {
  for (const cloud of clouds.values()) {
    cloud.access.close();
    await cloud.driver.close();
  }
}
