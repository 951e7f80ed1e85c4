import Type, { type Static } from 'typebox';

/** Pool settings in KV `pools` under `type.cloud`; admin changes survive restarts. */
export const PoolSettings = Type.Object({
  type: Type.String(),
  cloud: Type.String(),
  minReady: Type.Integer({ minimum: 0 }),
  max: Type.Integer({ minimum: 0 }),
  weight: Type.Number({ minimum: 0 }),
  mode: Type.Union([Type.Literal('fixed'), Type.Literal('predictive')]),
  changedBy: Type.String(),
  changedAt: Type.Integer(),
});
export type PoolSettings = Static<typeof PoolSettings>;

export const ResizeRequest = Type.Object(
  {
    type: Type.String({ minLength: 1 }),
    cloud: Type.String({ minLength: 1 }),
    minReady: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    max: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000 })),
    by: Type.String({ minLength: 1, description: 'who asks (admin user name), for the audit event' }),
  },
  { additionalProperties: false },
);
export type ResizeRequest = Static<typeof ResizeRequest>;

/** One pool with live counts per machine state. */
export const PoolStatus = Type.Object({
  settings: PoolSettings,
  counts: Type.Object({
    launching: Type.Integer(),
    booting: Type.Integer(),
    ready: Type.Integer(),
    allocated: Type.Integer(),
    deleting: Type.Integer(),
    failed: Type.Integer(),
  }),
  queued: Type.Integer({ description: 'requests waiting for this type' }),
});
export type PoolStatus = Static<typeof PoolStatus>;

export const ListPoolsRequest = Type.Object({ type: Type.Optional(Type.String()) }, { additionalProperties: false });
export const ListPoolsReply = Type.Object({ pools: Type.Array(PoolStatus) });
