import { createDriver, drivers, isKnownDriverKind, type CloudDriver, type DriverConfig } from '@hearth/clouds';
import { applySchema, ConfigError } from '@hearth/config';
import type { Bus } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import type { KeyPair } from '@hearth/ssh';
import { Limiter } from './allocate/limiter.js';
import { SimAccess, SshAccess, type MachineAccess } from './allocate/machine-access.js';
import { CloudMonitor } from './clouds/cloud-monitor.js';
import { CloudTasks } from './clouds/cloud-tasks.js';
import { MeasuredDriver } from './clouds/measured-driver.js';
import { TokenBucket } from './clouds/token-bucket.js';
import type { CloudView } from './domain/choose-machine.js';
import { cloudSettingsFor, type CloudEntry, type CloudSettings, type PoolManagerConfig } from './config.js';
import type { PoolMetrics } from './metrics.js';
import type { CloudStore } from './store/cloud-store.js';

/** One configured cloud as the engine uses it. */
export interface Cloud {
  name: string;
  region: string;
  /** The cloud's driver behind its API rate limit, every call measured for cloud health. */
  driver: MeasuredDriver;
  access: MachineAccess;
  /** Bounds parallel launches, so a slow cloud never holds up the others. */
  launches: Limiter;
  /** Calls that run outside reconcile passes (describes, deletes, sweeps, probes, quota reads). */
  tasks: CloudTasks;
  /** Health, drain and full quota. */
  monitor: CloudMonitor;
  settings: CloudSettings;
  /** What the allocator sees; the monitor keeps it current. */
  view: CloudView;
}

/** What createClouds needs besides the cloud entries. */
export interface CloudDeps {
  log: Logger;
  config: PoolManagerConfig;
  key: KeyPair;
  metrics: PoolMetrics;
  bus: Bus;
  store: CloudStore;
}

/** Creates a driver for every configured cloud; a bad cloud entry is a configuration error. */
export function createClouds(entries: readonly CloudEntry[], deps: CloudDeps): Map<string, Cloud> {
  const clouds = new Map<string, Cloud>();
  const installation = deps.config.installation;
  for (const [index, entry] of entries.entries()) {
    let driver: CloudDriver;
    try {
      driver = createDriver(withDriverDefaults(entry) as DriverConfig, { log: deps.log.child({ cloud: entry.name }), installation });
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues : [{ file: 'hearth.yaml', path: `clouds[${index}]`, message: (err as Error).message }];
      throw new ConfigError(issues.map((i) => ({ ...i, path: i.path.startsWith('clouds') ? i.path : `clouds[${index}]${i.path ? `.${i.path}` : ''}` })));
    }
    const settings = cloudSettingsFor(deps.config, entry.name);
    const view: CloudView = { weight: 1, healthy: true, drained: false, health: 'healthy' };
    const log = deps.log.child({ cloud: entry.name });
    const monitor = new CloudMonitor({ name: entry.name, driver: entry.driver, region: entry.region }, settings, view, { ...deps, log: deps.log, installation });
    clouds.set(entry.name, {
      name: entry.name,
      region: entry.region,
      driver: new MeasuredDriver(driver, monitor.window, new TokenBucket(settings.apiRatePerSecond, settings.apiBurst), deps.metrics),
      access: entry.driver === 'sim' ? new SimAccess() : new SshAccess(deps.key, log),
      launches: new Limiter(settings.launchConcurrency ?? deps.config.poolManager.launchConcurrency),
      tasks: new CloudTasks(log),
      monitor,
      settings,
      view,
    });
  }
  return clouds;
}


/** A cloud entry with its driver's units converted and defaults filled in (a copy; the config stays frozen). */
export function withDriverDefaults(entry: CloudEntry): unknown {
  return isKnownDriverKind(entry.driver) ? applySchema(drivers[entry.driver].configSchema, entry).value : structuredClone(entry);
}
