import Type, { type Static } from 'typebox';

/** The usage stream's record kinds (`hearth.usage.<event>`). */
export const UsageEventKind = {
  Requested: 'requested',
  Allocated: 'allocated',
  Released: 'released',
  Reclaimed: 'reclaimed',
  Launched: 'launched',
  Ready: 'ready',
  Failed: 'failed',
  Resized: 'resized',
  Drained: 'drained',
  Undrained: 'undrained',
} as const;
export type UsageEventKind = (typeof UsageEventKind)[keyof typeof UsageEventKind];

/** One lifecycle step, written to the USAGE stream: the raw material of analytics. */
export const UsageEvent = Type.Object({
  event: Type.Union([
    Type.Literal('requested'),
    Type.Literal('allocated'),
    Type.Literal('released'),
    Type.Literal('reclaimed'),
    Type.Literal('launched'),
    Type.Literal('ready'),
    Type.Literal('failed'),
    Type.Literal('resized'),
    Type.Literal('drained'),
    Type.Literal('undrained'),
  ]),
  at: Type.Integer({ description: 'ms since epoch' }),
  installation: Type.String(),
  /** The machine type; `*` for records about a whole cloud (drained, undrained). */
  type: Type.String(),
  cloud: Type.Optional(Type.String()),
  region: Type.Optional(Type.String()),
  user: Type.Optional(Type.String()),
  machineId: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  /** allocated: time from request to answer; warm when a ready machine was waiting. */
  waitMs: Type.Optional(Type.Integer()),
  warm: Type.Optional(Type.Boolean()),
  /** ready: launch to ready. */
  bootMs: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  /** resized, drained, undrained: who; resized: the settings before and after. */
  by: Type.Optional(Type.String()),
  before: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  after: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type UsageEvent = Static<typeof UsageEvent>;

/**
 * The body of one USAGE stream message on `hearth.usage.<event>`: one or more records of that
 * kind, in the order they happened. Records that arrive while the previous write is being
 * acknowledged go out together, so a burst of allocations costs a few fsyncs, not one each.
 * Messages written before batching hold one bare record; `usageRecords()` reads both.
 */
export const UsageMessage = Type.Array(UsageEvent, { minItems: 1 });
export type UsageMessage = Static<typeof UsageMessage>;
