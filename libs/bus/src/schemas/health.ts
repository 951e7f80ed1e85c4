import Type, { type Static } from 'typebox';

export const HealthCheckRequest = Type.Object(
  { service: Type.Optional(Type.String({ description: 'only instances of this service answer' })) },
  { additionalProperties: false },
);
export type HealthCheckRequest = Static<typeof HealthCheckRequest>;

export const HealthCheck = Type.Object({
  name: Type.String(),
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String()),
});
export type HealthCheck = Static<typeof HealthCheck>;

/** What one service instance says about itself. */
export const HealthReport = Type.Object({
  name: Type.String({ description: 'service name, e.g. gateway' }),
  id: Type.String({ description: 'instance id, unique per process' }),
  version: Type.String(),
  healthy: Type.Boolean({ description: 'true when every check is ok' }),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeMs: Type.Integer({ minimum: 0 }),
  pid: Type.Integer(),
  host: Type.String(),
  checks: Type.Array(HealthCheck),
  urls: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'addresses this instance serves, e.g. portal' }),
  ),
});
export type HealthReport = Static<typeof HealthReport>;
