import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { environment } from '@hearth/config';

/** A Hearth service run from its built `dist/main.js` as its own process, as in production. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** What it wrote to stdout and stderr (the last 20,000 characters), for error messages. */
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

/** Starts `services/<name>/dist/main.js --set …`; a benchmark that crashes takes the process with it. */
export function startService(name: string, set: readonly string[], opts: StartServiceOptions = {}): ServiceProcess {
  const main = resolve(import.meta.dirname, '..', '..', 'services', name, opts.dist ?? 'dist', 'main.js');
  // HEARTH_BENCH_NODE_ARGS adds Node options to every service, e.g. "--trace-gc" (its lines land in HEARTH_BENCH_LOG_DIR)
  const extra = (environment()['HEARTH_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child: ChildProcess = spawn(process.execPath, [...extra, ...(opts.nodeArgs ?? []), main, ...set.flatMap((s) => ['--set', s])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...environment(), ...opts.env },
  });
  let out = '';
  // HEARTH_BENCH_LOG_DIR keeps each service's whole output (its JSON log) for a look afterwards
  const logDir = environment()['HEARTH_BENCH_LOG_DIR'];
  const file = logDir ? createWriteStream(resolve(logDir, `${name}-${child.pid ?? 0}.log`)) : undefined;
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
    file?.write(d);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const onExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return {
    name,
    pid: child.pid ?? -1,
    output: () => out,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
