import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus text format content type, as prom-client renders it. */
export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A fresh registry with Node's default process metrics, each series labelled with the
 * service name. One registry per service instance, so in-process tests do not collide.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'hearth_' });
  return registry;
}

export interface MetricsServer {
  /** The port actually bound (useful when 0 was asked for). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) for services that have no HTTP surface
 * of their own. Resolves once listening; rejects with the listen error (port in use).
 */
export async function startMetricsServer(opts: {
  registry: Registry;
  host: string;
  port: number;
  log: Logger;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      opts.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metricsContentType });
          res.end(text);
        },
        (err: unknown) => {
          opts.log.error({ err }, 'rendering metrics failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.log.info({ host: opts.host, port }, 'metrics listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
