import { DriverKind, type DriverFactory } from '../driver.js';
import { DockerConfig } from './config.js';
import { DockerDriver } from './driver.js';

export { DockerConfig, DockerLimits, defaultSocketPath } from './config.js';
export { DockerDriver } from './driver.js';
export type { DockerDeps } from './driver.js';
export { analysisImageScript, ensureAnalysisImage } from './image.js';
export type { EnsureAnalysisImageOptions } from './image.js';

/**
 * Makes docker clouds from their config section (`driver: docker`): machines are containers
 * on the local engine, from an image such as the one ensureAnalysisImage() builds.
 */
export const dockerDriver: DriverFactory<DockerConfig> = {
  kind: DriverKind.Docker,
  configSchema: DockerConfig,
  create: (config, deps) => new DockerDriver(config, deps),
};
