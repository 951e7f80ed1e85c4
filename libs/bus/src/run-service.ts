import { basename } from 'node:path';
import type { Static, TSchema } from 'typebox';
import { ConfigError, loadConfig, readServiceArgs, type Frozen } from '@hearth/config';
import { createLogger, type Logger } from '@hearth/log';
import { HearthError } from './errors.js';

interface BaseConfig {
  readonly installation: string;
  readonly log: { readonly level: string };
}

export interface RunServiceOptions<S extends TSchema> {
  name: string;
  schema: S;
  /** Checks beyond the schema (references between sections); each issue is reported like a schema issue. */
  validate?: (config: Frozen<Static<S>>) => { path: string; message: string }[];
  start(deps: { config: Frozen<Static<S>>; log: Logger }): Promise<{ stop(): Promise<void> }>;
}

/**
 * The body of every service's `main.ts`: read `--config`/`--set`, load and validate the
 * configuration (exit 2 with every issue listed when invalid; `--check-config` stops
 * there), create the logger, start, and stop cleanly on SIGTERM/SIGINT.
 * Exit codes: 0 stopped by signal, 1 failed to start or crashed, 2 invalid configuration.
 */
export async function runService<S extends TSchema>(opts: RunServiceOptions<S>): Promise<void> {
  const args = readServiceArgs();
  let config: Frozen<Static<S>>;
  try {
    config = loadConfig(opts.schema, {
      ...(args.configPath ? { path: args.configPath } : {}),
      env: args.env,
      set: args.set,
    });
    const issues = opts.validate?.(config) ?? [];
    if (issues.length > 0) {
      throw new ConfigError(issues.map((i) => ({ file: args.configPath ? basename(args.configPath) : '<defaults>', ...i })));
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${opts.name}: invalid configuration\n${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (args.checkConfig) process.exit(0);
  const base = config as unknown as BaseConfig;
  const log = createLogger({
    service: opts.name,
    level: base.log.level as 'info',
    bindings: { installation: base.installation },
  });
  let running: { stop(): Promise<void> };
  try {
    running = await opts.start({ config, log });
  } catch (err) {
    log.fatal({ err }, 'start failed');
    const text = err instanceof HearthError ? err.message : (err as Error).message;
    process.stderr.write(`${opts.name}: cannot start: ${text}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      log.error('stop took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
}
