import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sendProblem } from './errors.js';

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hearth</title></head>
<body><h1>Hearth</h1>
<p>The portal is not built. Build it with <code>npm run build -w @hearth/portal</code>, or use the
REST API (<a href="/api/docs">/api/docs</a>) and the <code>hearth</code> CLI.</p></body></html>
`;

/**
 * Serves the built portal from `dir` at `/`, with every other non-API GET answered with its
 * index.html (the portal routes in the browser). Without a built portal, `/` says so.
 */
export async function registerPortal(app: FastifyInstance, dir: string): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(notBuilt));
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: ['index.html'] });
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    if (req.url.startsWith('/api/')) {
      return sendProblem(reply, { type: 'about:blank', title: 'NOT_FOUND', status: 404, detail: `no route for GET ${req.url.split('?')[0]}`, instance: req.url, requestId: req.id });
    }
    return reply.sendFile('index.html');
  });
}
