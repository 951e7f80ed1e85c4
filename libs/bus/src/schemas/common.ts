import Type, { type Static } from 'typebox';

/** The body of every failed reply (with the `Nats-Service-Error-Code` header set). */
export const ErrorEnvelope = Type.Object({
  code: Type.String({ description: 'stable SCREAMING_SNAKE code from the ErrorCodes table' }),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

/** A path-and-message pair, as found in `details.issues` of INVALID_REQUEST. */
export const Issue = Type.Object({ path: Type.String(), message: Type.String() });
export type Issue = Static<typeof Issue>;

/** An empty request or reply body. */
export const Empty = Type.Object({}, { additionalProperties: false });
export type Empty = Static<typeof Empty>;
