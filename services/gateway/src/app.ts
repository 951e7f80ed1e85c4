import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerFactory, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import { randomUUID } from 'node:crypto';
import type { Bus } from '@hearth/bus';
import { Counter, Histogram, metricsContentType, type Logger, type Registry } from '@hearth/log';
import type { AccountStore } from './accounts/account-store.js';
import type { ApiContext } from './context.js';
import type { RequestTable } from './machines/request-table.js';
import { registerAuth } from './plugins/auth.js';
import { limiter, sharedLimiter, type Limit } from './plugins/rate-limits.js';
import { registerErrorHandler, sendProblem } from './plugins/errors.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerPortal } from './plugins/portal.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { machineRoutes } from './routes/machines.js';
import { meRoutes } from './routes/me.js';
import { statusRoutes } from './routes/status.js';
import { userRoutes } from './routes/users.js';
import { eventRoutes } from './ws/events.js';

export interface AppDeps {
  bus: Bus;
  log: Logger;
  registry: Registry;
  store: AccountStore;
  requests: RequestTable;
  bodyLimitBytes?: number;
  https?: { cert: Buffer; key: Buffer };
  /** Mark cookies Secure although this server speaks plain HTTP (TLS ends at a proxy: an https publicUrl). */
  behindTls?: boolean;
  sessionMaxAgeMs: number;
  rateLimits: { login: Limit; requests: Limit };
  /** The built portal; when it has no index.html, `/` says the portal is not built. */
  portalDir: string;
}

/** Builds the HTTP app without listening, so tests can `inject` requests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const https = deps.https;
  // TLS when configured; fastify types https servers apart, but the handler API is the same
  const serverFactory: FastifyServerFactory | undefined = https
    ? (handler) => createHttpsServer(https, handler) as unknown as Server
    : undefined;
  const options: FastifyServerOptions = {
    loggerInstance: deps.log.child({}, { serializers: { req: requestForLog } }),
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // one line per request (below) instead of fastify's two
    logController: new LogController({ disableRequestLogging: true }),
    ...(serverFactory ? { serverFactory } : {}),
  };
  const app = Fastify(options)
    .setValidatorCompiler(TypeBoxValidatorCompiler)
    .withTypeProvider<TypeBoxTypeProvider>();

  registerMetrics(app, deps.registry);
  app.addHook('onResponse', async (req, reply) => {
    reply.log.info({ req, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  app.addHook('onSend', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });

  registerErrorHandler(app);
  // an empty JSON body is no body (a POST like logout or drain sent with a content-type); the rest parse as usual, guarded against prototype poisoning
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => (body === '' ? done(null, undefined) : parseJson(req, String(body), done)));
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await registerOpenApi(app);

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = deps.bus.isConnected();
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'nats disconnected' });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(metricsContentType).send(await deps.registry.metrics()));

  const ctx: ApiContext = {
    bus: deps.bus,
    store: deps.store,
    requests: deps.requests,
    sessionMaxAgeMs: deps.sessionMaxAgeMs,
    tls: https !== undefined || deps.behindTls === true,
    loginLimit: sharedLimiter(deps.store.loginAttempts, deps.rateLimits.login),
  };
  const requestLimit = limiter(app, deps.rateLimits.requests);
  await app.register(
    async (api) => {
      registerAuth(api, { store: deps.store, limit: requestLimit });
      await api.register(statusRoutes, { bus: deps.bus });
      await api.register(authRoutes, ctx);
      await api.register(meRoutes, ctx);
      await api.register(machineRoutes, ctx);
      await api.register(adminRoutes, ctx);
      await api.register(userRoutes, ctx);
      await api.register(eventRoutes, ctx);
    },
    { prefix: '/api/v1' },
  );

  await registerPortal(app, deps.portalDir);
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      type: 'about:blank',
      title: 'NOT_FOUND',
      status: 404,
      detail: `no route for ${req.method} ${req.url.split('?')[0]}`,
      instance: req.url,
      requestId: req.id,
    }),
  );
  return app;
}

/** What a request log line shows: never the `?token=` a websocket may carry (headers are not logged at all). */
function requestForLog(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: req.url.replace(/([?&]token=)[^&]*/g, '$1[redacted]'), host: req.host, remoteAddress: req.ip };
}

function registerMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'hearth_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'hearth_http_request_duration_seconds',
    help: 'time to answer an HTTP request',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
}
