import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { checkHealth, HealthReport, type Bus } from '@hearth/bus';

/** One instance's health: name and verdict for everyone; the rest of its report (where it runs, its checks) for admins only. */
const ServiceHealth = Type.Intersect([Type.Pick(HealthReport, ['name', 'healthy']), Type.Partial(Type.Omit(HealthReport, ['name', 'healthy']))]);

export const StatusReply = Type.Object({
  nats: Type.Object({ connected: Type.Boolean(), server: Type.Optional(Type.String({ description: 'the server this gateway uses (admins)' })) }),
  healthy: Type.Boolean({ description: 'every service that answered is healthy, and NATS is connected' }),
  services: Type.Array(ServiceHealth),
});

/**
 * `GET /api/v1/status`: asks every service over NATS for its health. Anyone may ask (load
 * balancers, monitoring); only an admin sees hosts, pids, addresses and each check's detail.
 */
export const statusRoutes: FastifyPluginAsyncTypebox<{ bus: Bus }> = async (app, { bus }) => {
  app.get(
    '/status',
    { config: { access: 'public' }, schema: { tags: ['status'], summary: 'every service\'s health, asked over NATS (details for admins)', response: { 200: StatusReply } } },
    async (req) => {
      const connected = bus.isConnected();
      const services = connected ? await checkHealth(bus) : [];
      const healthy = connected && services.every((s) => s.healthy);
      if (req.principal?.user.role === 'admin') return { nats: { connected, server: bus.nc.getServer() }, healthy, services };
      return { nats: { connected }, healthy, services: services.map((s) => ({ name: s.name, healthy: s.healthy })) };
    },
  );
};
