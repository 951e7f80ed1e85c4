import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { busOptionsFrom, connectBus, createService, HearthError } from '@hearth/bus';
import { createMetricsRegistry, type Logger } from '@hearth/log';
import { buildApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { version } from './version.js';

export { GatewayConfig } from './config.js';
export { buildApp } from './app.js';

export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
}

export interface RunningGateway {
  /** Where the portal and API answer, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly app: FastifyInstance;
  stop(): Promise<void>;
}

/**
 * Connects to NATS, registers the `gateway` service, and listens for HTTP.
 * @throws HearthError UNAVAILABLE when the port is taken or the TLS files cannot be read.
 */
export async function start(deps: GatewayDeps): Promise<RunningGateway> {
  const { config, log } = deps;
  const settings = config.gateway;
  const https = settings.tls ? await readTls(settings.tls) : undefined;
  const bus = await connectBus(busOptionsFrom(config.nats, 'gateway', log));
  const registry = createMetricsRegistry('gateway');
  const app = await buildApp({ bus, log, registry, bodyLimitBytes: settings.bodyLimitBytes, ...(https ? { https } : {}) });
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    await bus.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new HearthError('UNAVAILABLE', `port ${settings.port} on ${settings.host} is already in use; set gateway.port in hearth.yaml`, undefined, { cause: err });
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  const url = settings.publicUrl ?? `${https ? 'https' : 'http'}://${host}:${port}`;

  const service = await createService(bus, { name: 'gateway', version, description: 'REST API, live events and portal' });
  service.urls['portal'] = url;
  service.urls['metrics'] = `${url}/metrics`;
  service.addHealthCheck('http', () => ({ ok: app.server.listening, detail: url }));
  log.info({ url }, 'gateway listening');
  return {
    url,
    app,
    stop: async () => {
      await service.stop();
      await app.close();
      await bus.drain();
    },
  };
}

async function readTls(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
  } catch (err) {
    throw new HearthError('UNAVAILABLE', `reading gateway.tls files: ${(err as Error).message}`, undefined, { cause: err });
  }
}
