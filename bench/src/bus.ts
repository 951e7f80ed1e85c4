import { connectBus, createService, request, subjects } from '@hearth/bus';
import { createLogger } from '@hearth/log';
import { startNatsServer } from '@hearth/testkit';
import { percentiles, report } from './stats.js';

/**
 * Typed request/reply over a real nats-server (JSON, schema checks on both sides, error
 * envelope handling), one client at a time and with 64 concurrent clients.
 */
export async function busBench(): Promise<void> {
  const nats = await startNatsServer();
  const log = createLogger({ service: 'bench', level: 'silent' });
  const serverBus = await connectBus({ servers: nats.url, name: 'bench-server', log });
  const clientBus = await connectBus({ servers: nats.url, name: 'bench-client', log });
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
    await nats.cleanup();
  }
}
