import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, createService, request, subjects } from '@hearth/bus';
import { environment } from '@hearth/config';
import { createLogger } from '@hearth/log';
import { percentiles, report } from './stats.js';

/**
 * Typed request/reply over a real nats-server (JSON, schema checks on both sides, error
 * envelope handling), one client at a time and with 64 concurrent clients.
 */
export async function busBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-'));
  const conf = join(dir, 'nats.conf');
  await writeFile(conf, `listen: 127.0.0.1:-1\njetstream { store_dir: "${dir}/js"\n sync_interval: always }\n`);
  const server = spawn(environment()['HEARTH_NATS_SERVER'] ?? 'nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    server.once('exit', () => reject(new Error(`nats-server exited:\n${log}`)));
    server.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /client connections on [\d.]+:(\d+)/.exec(log);
      if (m && log.includes('Server is ready')) resolve(Number(m[1]));
    });
  });
  const log = createLogger({ service: 'bench', level: 'silent' });
  const serverBus = await connectBus({ servers: `nats://127.0.0.1:${port}`, name: 'bench-server', log });
  const clientBus = await connectBus({ servers: `nats://127.0.0.1:${port}`, name: 'bench-client', log });
  const service = await createService(serverBus, { name: 'bench', version: '0.0.0' });
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    await request(clientBus, subjects.health.check, { service: 'bench' });
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < 500; i++) await once();
    const serial: number[] = [];
    for (let i = 0; i < 5_000; i++) serial.push(await once());
    const concurrent: number[] = [];
    const total = 20_000;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next++ < total) concurrent.push(await once());
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const row = (label: string, samples: number[], rps?: number): Record<string, string | number> => {
      const p = percentiles(samples);
      return {
        case: label,
        requests: samples.length,
        'p50 ms': +p.p50.toFixed(3),
        'p99 ms': +p.p99.toFixed(3),
        'max ms': +p.max.toFixed(3),
        'req/s': rps ?? Math.round(samples.length / (samples.reduce((a, b) => a + b, 0) / 1000)),
      };
    };
    report('bus request/reply (hearth.health.check, validated both ways)', [
      row('1 client', serial),
      row('64 clients', concurrent, Math.round(total / seconds)),
    ]);
  } finally {
    await service.stop();
    await clientBus.close();
    await serverBus.close();
    server.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}
