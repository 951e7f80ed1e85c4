import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { busOptionsFrom, connectBus, createService, ensureStorage, HearthError } from '@hearth/bus';
import { environment } from '@hearth/config';
import { createMetricsRegistry, type Logger } from '@hearth/log';
import { AccountStore } from './accounts/account-store.js';
import { ensureFirstAdmin, firstAdminMarker } from './accounts/first-admin.js';
import { buildApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { RequestTable } from './machines/request-table.js';
import { version } from './version.js';

export { GatewayConfig } from './config.js';
export { buildApp } from './app.js';
export { firstAdminMarker, firstAdminName } from './accounts/first-admin.js';

export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  /** The first admin's password, used only when no admin exists; HEARTH_ADMIN_PASSWORD when absent. */
  adminPassword?: string;
}

export interface RunningGateway {
  /** Where the portal and API answer, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly app: FastifyInstance;
  /** True when this start created the first admin. */
  readonly createdAdmin: boolean;
  stop(): Promise<void>;
}

/**
 * How long a call to the pool manager waits for one to answer before 503: the time a
 * standby replica takes to lead after the leader hands over.
 */
const poolManagerHandoverMs = 3_000;

/** The built portal next to this package: services/portal/dist. */
const defaultPortalDir = fileURLToPath(new URL('../../portal/dist', import.meta.url));

/**
 * Connects to NATS, makes sure the buckets exist and an admin can sign in, registers the
 * `gateway` service, and listens for HTTP.
 * @throws HearthError UNAVAILABLE when the port is taken or the TLS files cannot be read.
 */
export async function start(deps: GatewayDeps): Promise<RunningGateway> {
  const { config, log } = deps;
  const settings = config.gateway;
  const https = settings.tls ? await readTls(settings.tls) : undefined;
  // every call to the pool manager rides over a handover between its replicas (a restart, an upgrade)
  const bus = await connectBus({ ...busOptionsFrom(config.nats, 'gateway', log), waitForResponderMs: poolManagerHandoverMs });
  let requests: RequestTable | undefined;
  let store: AccountStore | undefined;
  try {
    await ensureStorage(bus, { replicas: config.nats.replicas });
    store = await AccountStore.open(bus, log.child({ component: 'accounts' }));
    const password = deps.adminPassword ?? environment()['HEARTH_ADMIN_PASSWORD'];
    const createdAdmin = await ensureFirstAdmin(store, password || undefined, firstAdminMarker(config.dataDir), log);
    requests = new RequestTable(bus, log.child({ component: 'requests' }), settings.requestWaitMs);
    await requests.start();
    const registry = createMetricsRegistry('gateway');
    const app = await buildApp({
      bus,
      log,
      registry,
      store,
      requests,
      bodyLimitBytes: settings.bodyLimitBytes,
      sessionMaxAgeMs: settings.sessionMaxAgeMs,
      rateLimits: settings.rateLimits,
      portalDir: settings.portalDir ?? defaultPortalDir,
      behindTls: settings.publicUrl?.startsWith('https:') === true,
      ...(https ? { https } : {}),
    });
    await listen(app, settings.host, settings.port);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : settings.port;
    const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
    const url = settings.publicUrl ?? `${https ? 'https' : 'http'}://${host}:${port}`;

    const service = await createService(bus, { name: 'gateway', version, description: 'REST API, live events and portal' });
    service.urls['portal'] = url;
    service.urls['metrics'] = `${url}/metrics`;
    service.addHealthCheck('http', () => ({ ok: app.server.listening, detail: url }));
    log.info({ url }, 'gateway listening');
    const table = requests;
    const accounts = store;
    return {
      url,
      app,
      createdAdmin,
      stop: async () => {
        await service.stop();
        await app.close();
        table.stop();
        accounts.stop();
        await bus.drain();
      },
    };
  } catch (err) {
    requests?.stop();
    store?.stop();
    await bus.close();
    throw err;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new HearthError('UNAVAILABLE', `port ${port} on ${host} is already in use; set gateway.port in hearth.yaml`, undefined, { cause: err });
    }
    throw err;
  }
}

async function readTls(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
  } catch (err) {
    throw new HearthError('UNAVAILABLE', `reading gateway.tls files: ${(err as Error).message}`, undefined, { cause: err });
  }
}
