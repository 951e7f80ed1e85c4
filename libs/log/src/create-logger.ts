import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { redactLine } from './redact.js';

export type { Logger } from 'pino';

/** Log levels accepted in configuration. */
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];

export interface CreateLoggerOptions {
  /** Service name; becomes the `service` field of every line. */
  service: string;
  level?: LevelWithSilent;
  /** Where lines go; standard output when absent. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Extra fields bound to every line (installation id, instance id). */
  bindings?: Record<string, string>;
}

/**
 * The one logger setup for all Hearth services: JSON lines (pino), ISO timestamps,
 * `service` bound, secrets redacted (see redact.ts). Pass children down (`log.child({ machineId })`),
 * never create a second root logger in a module.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service, pid: process.pid, ...opts.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: redactLine },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? stdoutDestination(),
  );
}

/**
 * Standard output, written asynchronously: a line goes out at once when nothing is being
 * written, and lines logged while a write is under way go out together in the next one, so
 * under load the service makes one write per batch instead of one blocking write per line.
 * What is still buffered is flushed when the process exits.
 */
function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/** A log destination appending to a file (created if missing), for processes without a terminal. */
export function fileDestination(path: string): DestinationStream {
  return pino.destination({ dest: path, append: true, mkdir: true, sync: false });
}
