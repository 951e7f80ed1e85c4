import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { environment, serviceNodeArgs } from '@hearth/config';

/** A Hearth service run from its built `dist/main.js` as its own process with the Node options of production (`serviceNodeArgs`). */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** What it wrote to stdout and stderr (the last 20,000 bytes), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Node options before the script, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  /** The build directory under `services/<name>` to run (`dist` unless set), e.g. a copy of an older build to compare against. */
  dist?: string;
}

/**
 * Starts `services/<name>/dist/main.js --set …`; a benchmark that crashes takes the process with it.
 * The service writes its stdout and stderr straight into a file, never through a pipe to this
 * process: this process is the load generator, and reading a service's log (a line per request)
 * would take CPU from the measurement and stall its event loop.
 */
export function startService(name: string, set: readonly string[], opts: StartServiceOptions = {}): ServiceProcess {
  const main = resolve(import.meta.dirname, '..', '..', 'services', name, opts.dist ?? 'dist', 'main.js');
  // HEARTH_BENCH_NODE_ARGS adds Node options to every service, e.g. "--trace-gc" (its lines land in HEARTH_BENCH_LOG_DIR)
  const extra = (environment()['HEARTH_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  // HEARTH_BENCH_LOG_DIR keeps each service's whole output (its JSON log) for a look afterwards
  const keptDir = environment()['HEARTH_BENCH_LOG_DIR'];
  const dir = keptDir ?? mkdtempSync(join(tmpdir(), `hearth-bench-${name}-`));
  const starting = resolve(dir, `${name}-starting-${process.pid}-${Date.now()}.log`);
  const fd = openSync(starting, 'w');
  const child: ChildProcess = spawn(process.execPath, [...serviceNodeArgs, ...extra, ...(opts.nodeArgs ?? []), main, ...set.flatMap((s) => ['--set', s])], {
    stdio: ['ignore', fd, fd],
    env: { ...environment(), ...opts.env },
  });
  // named after the service's pid, as its log lines are
  if (child.pid !== undefined) renameSync(starting, resolve(dir, `${name}-${child.pid}.log`));
  const output = (): string => {
    const tail = 20_000;
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(tail, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString();
  };
  let open = true;
  const cleanUp = (): void => {
    if (!open) return;
    open = false;
    closeSync(fd);
    if (!keptDir) rmSync(dir, { recursive: true, force: true });
  };
  const onExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return {
    name,
    pid: child.pid ?? -1,
    output,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) {
        cleanUp();
        return;
      }
      await new Promise<void>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          cleanUp();
          done();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
