import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** What every service's `main.ts` needs from its command line and environment. */
export interface ServiceArgs {
  /** `--config FILE`, else `HEARTH_CONFIG`, else undefined (embedded defaults). */
  configPath?: string;
  /** Every `--set path=value`, in order. */
  set: string[];
  /** `--check-config`: validate the configuration and exit. */
  checkConfig: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads `--config` and `--set` from argv and hands over the environment, so that
 * `process.env` is read here and nowhere else in a service.
 */
export function readServiceArgs(argv: readonly string[] = process.argv.slice(2)): ServiceArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string' },
      set: { type: 'string', multiple: true },
      'check-config': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const configPath = values.config ?? process.env['HEARTH_CONFIG'];
  return {
    ...(configPath ? { configPath } : {}),
    set: values.set ?? [],
    checkConfig: values['check-config'] ?? false,
    env: { ...process.env },
  };
}

/** A copy of the process environment; the one sanctioned way for code outside libs/config to see it. */
export function environment(): Readonly<Record<string, string | undefined>> {
  return { ...process.env };
}

/** The `version` of the package.json at `url` (a service passes `new URL('../package.json', import.meta.url)`). */
export function packageVersion(url: URL): string {
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/**
 * Node options every Hearth service runs with (the local stack's supervisor, the systemd unit
 * in deploy/systemd, the benchmarks). `--single-threaded-gc`: V8 otherwise helps each
 * collection with a thread per core, and on a host the services share with each other and
 * with nats-server those helpers compete for the same cores, and a pause lasts until the
 * slowest of them has had its turn. A Hearth service's heap is small (tens of MB) and its work is
 * I/O, so collecting on its own thread costs little and keeps pauses short: on a 2-core host
 * the gateway benchmark's p99 at half of saturation fell from 43–99 ms to 27–38 ms and its
 * saturation rose (docs/benchmarks.md).
 */
export const serviceNodeArgs: readonly string[] = ['--single-threaded-gc'];
