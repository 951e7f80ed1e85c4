export { collectStatus } from './commands/status.js';
export type { StatusReport } from './commands/status.js';
export { renderNatsConfig } from './stack/nats-config.js';
export { compareVersions, minimumNatsVersion } from './system/requirements.js';
