import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { checkHealth, HealthReport, type Bus } from '@hearth/bus';

export const StatusReply = Type.Object({
  nats: Type.Object({ connected: Type.Boolean(), server: Type.String() }),
  healthy: Type.Boolean({ description: 'every service that answered is healthy, and NATS is connected' }),
  services: Type.Array(HealthReport),
});

/** `GET /api/v1/status`: asks every service over NATS for its health. */
export const statusRoutes: FastifyPluginAsyncTypebox<{ bus: Bus }> = async (app, { bus }) => {
  app.get('/status', { config: { access: 'public' }, schema: { tags: ['status'], summary: 'every service\'s health, asked over NATS', response: { 200: StatusReply } } }, async () => {
    const services = bus.isConnected() ? await checkHealth(bus) : [];
    const connected = bus.isConnected();
    return {
      nats: { connected, server: bus.nc.getServer() },
      healthy: connected && services.every((s) => s.healthy),
      services,
    };
  });
};
