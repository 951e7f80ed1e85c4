import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real nats-server with JetStream in a temporary directory, for one test file or benchmark. */
export interface TestNatsServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, or SIGKILL with `{ kill: true }`), keeping its store. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  cleanup(): Promise<void>;
}

/** The nats-server program: `HEARTH_NATS_SERVER` (set by ./hearth test) or `nats-server` on PATH. */
export const natsServerBinary = process.env['HEARTH_NATS_SERVER'] ?? 'nats-server';

/**
 * Starts nats-server on a free loopback port (`-1`) with `sync_interval: always` and the
 * default 1 MB max payload, as every Hearth deployment runs it (deploy/nats). Use with
 * `await using nats = await startNatsServer()`. A process that exits without stopping it
 * (a crashed benchmark) kills it on the way out.
 */
export async function startNatsServer(): Promise<TestNatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-nats-'));
  const storeDir = join(dir, 'js');
  let port = -1;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const conf = join(dir, 'nats.conf');
    await writeFile(
      conf,
      `listen: 127.0.0.1:${port}\njetstream {\n  store_dir: "${storeDir}"\n  sync_interval: always\n}\n`,
    );
    const proc = spawn(natsServerBinary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    process.once('exit', killOnExit);
    port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${natsServerBinary}: ${err.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        const listening = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
        if (listening && /Server is ready/.test(log)) {
          clearTimeout(timer);
          // stop listening: left attached, the shutdown lines would remove stop()'s 'exit' listener below
          proc.stderr?.off('data', onData);
          proc.stderr?.resume();
          proc.removeAllListeners('exit');
          resolve(Number(listening[1]));
        }
      };
      proc.stderr?.on('data', onData);
    });
  };

  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  const stop = async (opts: { kill?: boolean } = {}): Promise<void> => {
    const proc = child;
    child = undefined;
    process.off('exit', killOnExit);
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(opts.kill ? 'SIGKILL' : 'SIGTERM');
    });
  };

  await launch();
  const cleanup = async (): Promise<void> => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    storeDir,
    stop,
    restart: launch,
    cleanup,
    [Symbol.asyncDispose]: cleanup,
  };
}
