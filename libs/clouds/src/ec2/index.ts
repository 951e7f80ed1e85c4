import { DriverKind, type DriverFactory } from '../driver.js';
import { Ec2Config } from './config.js';
import { Ec2Driver } from './driver.js';

export { Ec2Config, Ec2Limits } from './config.js';
export { Ec2Driver } from './driver.js';
export type { Ec2Deps } from './driver.js';
export type { Ec2Credentials } from './api.js';
export { clientTokenOf } from './launch.js';

/**
 * Makes ec2 clouds from their config section (`driver: ec2`): machines are EC2 instances in
 * one account and region, with credentials from the standard AWS chain (environment, shared
 * files, `profile`, SSO, instance role).
 */
export const ec2Driver: DriverFactory<Ec2Config> = {
  kind: DriverKind.Ec2,
  configSchema: Ec2Config,
  create: (config, deps) => new Ec2Driver(config, deps),
};
