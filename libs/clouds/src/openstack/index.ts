import { DriverKind, type DriverFactory } from '../driver.js';
import { OpenStackConfig } from './config.js';
import { OpenStackDriver } from './driver.js';

export { OpenStackAuth, OpenStackConfig, OpenStackEndpoints, defaultComputeMicroversion } from './config.js';
export { OpenStackDriver } from './driver.js';
export type { OpenStackDeps } from './driver.js';
export { OpenStackClient } from './client.js';
export type { ApiRequest } from './client.js';
export { OpenStackHttpError, TransportError } from './http.js';
export { openstackSettings } from './settings.js';
export type { Credentials, OpenStackSettings } from './settings.js';
export { candidateFiles, findCloud } from './clouds-yaml.js';
export type { FoundCloud } from './clouds-yaml.js';
export { installationTag } from './map.js';
export type { NovaServer } from './map.js';

/**
 * Makes openstack clouds from their config section (`driver: openstack`): machines are Nova
 * servers in one project, with credentials from clouds.yaml (osCloud or OS_CLOUD, on the
 * openstack CLI's search path) or inline. Throws at creation when the credentials are incomplete.
 */
export const openstackDriver: DriverFactory<OpenStackConfig> = {
  kind: DriverKind.OpenStack,
  configSchema: OpenStackConfig,
  create: (config, deps) => new OpenStackDriver(config, deps),
};
