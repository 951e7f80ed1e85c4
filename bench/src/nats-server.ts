import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment } from '@hearth/config';

/** A nats-server for one benchmark: loopback, free port, JetStream with `sync_interval: always`. */
export interface BenchNats {
  url: string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<BenchNats> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-'));
  const conf = join(dir, 'nats.conf');
  await writeFile(conf, `listen: 127.0.0.1:-1\nmax_payload: 8MB\njetstream {\n  store_dir: "${dir}/js"\n  sync_interval: always\n}\n`);
  const server: ChildProcess = spawn(environment()['HEARTH_NATS_SERVER'] ?? 'nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    server.once('exit', () => reject(new Error(`nats-server exited:\n${log}`)));
    server.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /client connections on [\d.]+:(\d+)/.exec(log);
      if (m && log.includes('Server is ready')) resolve(Number(m[1]));
    });
  });
  // a benchmark that crashes must not leave its server behind
  const onExit = (): void => {
    server.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      process.off('exit', onExit);
      server.removeAllListeners('exit');
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
