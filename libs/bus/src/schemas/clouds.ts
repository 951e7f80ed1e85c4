import Type, { type Static } from 'typebox';

/**
 * A cloud's health as the pool manager judges it from API error rate, API latency, launch
 * failures and boot time. `degraded` still gets launches, at a reduced share; `down` gets
 * none until probes succeed again.
 */
export const CloudHealth = Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('down')]);
export type CloudHealth = Static<typeof CloudHealth>;

/** What the health judgement was made from, over the recent window. */
export const CloudStats = Type.Object({
  apiCalls: Type.Integer({ minimum: 0 }),
  apiErrors: Type.Integer({ minimum: 0 }),
  apiLatencyMsP95: Type.Optional(Type.Number({ minimum: 0 })),
  launches: Type.Integer({ minimum: 0 }),
  launchFailures: Type.Integer({ minimum: 0 }),
  bootMsP50: Type.Optional(Type.Number({ minimum: 0 })),
});
export type CloudStats = Static<typeof CloudStats>;

/** One cloud in KV `clouds` and in `clouds.list`. */
export const CloudStatus = Type.Object({
  name: Type.String(),
  driver: Type.String(),
  region: Type.String(),
  health: CloudHealth,
  /** Why the cloud is not healthy, in words an admin can act on. */
  reason: Type.Optional(Type.String()),
  /** Drained: no new launches; allocated machines stay, warm ones are moved elsewhere. */
  drained: Type.Boolean(),
  drainedBy: Type.Optional(Type.String()),
  /** When health or drained last changed (ms since epoch). */
  changedAt: Type.Integer(),
  stats: CloudStats,
  /** Instances, cores and memory: the cloud's limits and what is used, from the last reading. */
  quota: Type.Optional(
    Type.Object({
      /** null: the cloud sets no limit. */
      limits: Type.Object({
        instances: Type.Union([Type.Number(), Type.Null()]),
        cores: Type.Union([Type.Number(), Type.Null()]),
        ramMb: Type.Union([Type.Number(), Type.Null()]),
      }),
      used: Type.Object({ instances: Type.Number(), cores: Type.Number(), ramMb: Type.Number() }),
    }),
  ),
});
export type CloudStatus = Static<typeof CloudStatus>;

export const ListCloudsRequest = Type.Object({}, { additionalProperties: false });
export const ListCloudsReply = Type.Object({ clouds: Type.Array(CloudStatus) });

/** Drain or undrain one cloud. */
export const DrainRequest = Type.Object(
  {
    cloud: Type.String({ minLength: 1 }),
    by: Type.String({ minLength: 1, description: 'who asks (admin user name), for the audit event' }),
  },
  { additionalProperties: false },
);
export type DrainRequest = Static<typeof DrainRequest>;

/** Published on `hearth.clouds.events.<kind>` when a cloud's health or drain state changes. */
export const CloudEvent = Type.Object({
  kind: Type.Union([Type.Literal('health'), Type.Literal('drained'), Type.Literal('undrained')]),
  at: Type.Integer(),
  cloud: Type.String(),
  health: CloudHealth,
  drained: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  by: Type.Optional(Type.String()),
});
export type CloudEvent = Static<typeof CloudEvent>;
