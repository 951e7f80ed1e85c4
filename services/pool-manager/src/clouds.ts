import { createDriver, drivers, isKnownDriverKind, type CloudDriver, type DriverConfig } from '@hearth/clouds';
import { applySchema, ConfigError } from '@hearth/config';
import type { Logger } from '@hearth/log';
import type { KeyPair } from '@hearth/ssh';
import { Limiter } from './allocate/limiter.js';
import { SimAccess, SshAccess, type MachineAccess } from './allocate/machine-access.js';
import type { CloudView } from './domain/choose-machine.js';
import type { CloudEntry } from './config.js';

/** One configured cloud as the engine uses it. */
export interface Cloud {
  name: string;
  region: string;
  driver: CloudDriver;
  access: MachineAccess;
  /** Bounds parallel launches, so a slow cloud never holds up the others. */
  launches: Limiter;
  view: CloudView;
}

/** Creates a driver for every configured cloud; a bad cloud entry is a configuration error. */
export function createClouds(
  entries: readonly CloudEntry[],
  deps: { log: Logger; installation: string; key: KeyPair; launchConcurrency: number },
): Map<string, Cloud> {
  const clouds = new Map<string, Cloud>();
  for (const [index, entry] of entries.entries()) {
    let driver: CloudDriver;
    try {
      driver = createDriver(withDriverDefaults(entry) as DriverConfig, { log: deps.log.child({ cloud: entry.name }), installation: deps.installation });
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues : [{ file: 'hearth.yaml', path: `clouds[${index}]`, message: (err as Error).message }];
      throw new ConfigError(issues.map((i) => ({ ...i, path: i.path.startsWith('clouds') ? i.path : `clouds[${index}]${i.path ? `.${i.path}` : ''}` })));
    }
    clouds.set(entry.name, {
      name: entry.name,
      region: entry.region,
      driver,
      access: entry.driver === 'sim' ? new SimAccess() : new SshAccess(deps.key, deps.log.child({ cloud: entry.name })),
      launches: new Limiter(deps.launchConcurrency),
      view: { weight: 1, healthy: true, drained: false },
    });
  }
  return clouds;
}


/** A cloud entry with its driver's units converted and defaults filled in (a copy; the config stays frozen). */
export function withDriverDefaults(entry: CloudEntry): unknown {
  return isKnownDriverKind(entry.driver) ? applySchema(drivers[entry.driver].configSchema, entry).value : structuredClone(entry);
}
