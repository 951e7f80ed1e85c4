import type { Logger } from '@hearth/log';
import { DriverKind, type DriverFactory } from '../driver.js';
import { SimConfig } from './config.js';
import { SimCloud } from './driver.js';
import { SimStore } from './store.js';

export { BootTime, SimConfig, SimLimits } from './config.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { SimCloud } from './driver.js';
export type { SimDeps } from './driver.js';
export { SimFault } from './faults.js';
export { bootTimeSampler, fitLognormal, seededRandom } from './boot-time.js';
export type { Random } from './boot-time.js';

/** A DriverFactory whose create() hands back the SimCloud itself, fault controls included. */
export interface SimDriverFactory extends DriverFactory<SimConfig> {
  create(config: SimConfig, deps: { log: Logger; installation: string }): SimCloud;
}

// A simulated account outlives the driver talking to it, as a real cloud account does: a
// pool manager restarted in the same process finds the instances it had launched.
const accounts = new Map<string, SimStore>();

/**
 * Makes sim clouds from their config section (`driver: sim`), on the wall clock, one account
 * per cloud name in this process. To drive time by hand or get a fresh account, construct
 * `new SimCloud(config, { log, installation, clock })` instead.
 */
export const simDriver: SimDriverFactory = {
  kind: DriverKind.Sim,
  configSchema: SimConfig,
  create: (config, deps) => {
    let store = accounts.get(config.name);
    if (!store) accounts.set(config.name, (store = new SimStore()));
    return new SimCloud(config, { ...deps, store });
  },
};
