import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerFactory, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { Bus } from '@hearth/bus';
import { Counter, Histogram, metricsContentType, type Logger, type Registry } from '@hearth/log';
import { registerErrorHandler } from './plugins/errors.js';
import { statusRoutes } from './routes/status.js';

export interface AppDeps {
  bus: Bus;
  log: Logger;
  registry: Registry;
  bodyLimitBytes?: number;
  https?: { cert: Buffer; key: Buffer };
}

/** Builds the HTTP app without listening, so tests can `inject` requests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const https = deps.https;
  // TLS when configured; fastify types https servers apart, but the handler API is the same
  const serverFactory: FastifyServerFactory | undefined = https
    ? (handler) => createHttpsServer(https, handler) as unknown as Server
    : undefined;
  const options: FastifyServerOptions = {
    loggerInstance: deps.log,
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ...(serverFactory ? { serverFactory } : {}),
  };
  const app = Fastify(options)
    .setValidatorCompiler(TypeBoxValidatorCompiler)
    .withTypeProvider<TypeBoxTypeProvider>();

  const requests = new Counter({
    name: 'hearth_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [deps.registry],
  });
  const duration = new Histogram({
    name: 'hearth_http_request_duration_seconds',
    help: 'time to answer an HTTP request',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [deps.registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.addHook('onSend', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });

  registerErrorHandler(app);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).type('application/problem+json').send({
      type: 'about:blank',
      title: 'NOT_FOUND',
      status: 404,
      detail: `no route for ${req.method} ${req.url.split('?')[0]}`,
      instance: req.url,
      requestId: req.id,
    });
  });

  app.get('/healthz', async (_req, reply) => {
    const ok = deps.bus.isConnected();
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'nats disconnected' });
  });
  app.get('/metrics', async (_req, reply) => reply.type(metricsContentType).send(await deps.registry.metrics()));
  await app.register(statusRoutes, { prefix: '/api/v1', bus: deps.bus });
  return app;
}
