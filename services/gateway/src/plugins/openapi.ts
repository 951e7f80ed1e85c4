import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { version } from '../version.js';

/**
 * The OpenAPI 3 document, built from the routes' schemas, at `/api/openapi.json`, and a
 * browsable page at `/api/docs`. Both are public: the API's shape is no secret.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Hearth API', version, description: 'Ready analysis machines on demand. See docs/api.md.' },
      components: {
        securitySchemes: {
          token: { type: 'http', scheme: 'bearer', description: 'personal API token hth_…' },
          session: { type: 'apiKey', in: 'cookie', name: 'hearth_session', description: 'portal session; send x-csrf-token on calls that change something' },
        },
      },
      security: [{ token: [] }, { session: [] }],
      tags: [
        { name: 'auth', description: 'sign in and out, tokens' },
        { name: 'me', description: 'my profile, SSH key and tokens' },
        { name: 'machines', description: 'machine types, requests, my machines' },
        { name: 'admin', description: 'pools, clouds, users, usage (admin role)' },
        { name: 'events', description: 'live events over a websocket' },
        { name: 'status', description: 'the health of every service' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
