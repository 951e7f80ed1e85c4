export { createLogger, fileDestination, LogLevels } from './create-logger.js';
export { censor, redactLine, secretKeys } from './redact.js';
export type { CreateLoggerOptions, LogLevel, Logger } from './create-logger.js';
export {
  Counter,
  Gauge,
  Histogram,
  Registry,
  createMetricsRegistry,
  metricsContentType,
  startMetricsServer,
} from './metrics.js';
export type { MetricsServer } from './metrics.js';
