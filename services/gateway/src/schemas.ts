import Type, { type Static } from 'typebox';
import { CloudStatus, Connection, LoginName, MachineStateSchema, MachineTypeInfo, PoolSettings, PoolStatus, SshPublicKey, UsageEvent } from '@hearth/bus';
import { Role } from './accounts/records.js';

/** The HTTP shapes of docs/api.md. Bodies, params and queries refuse unknown fields. */
const strict = { additionalProperties: false } as const;

export const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** A password a user sets: long enough to resist guessing at the login rate limit. */
export const NewPassword = Type.String({ minLength: 12, maxLength: 1024, description: 'at least 12 characters' });

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String(),
  requestId: Type.String(),
  issues: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});

export const UserSummary = Type.Object({ name: Type.String(), role: Role });

export const LoginBody = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }), password: Password }, strict);
export const LoginReply = Type.Object({ user: UserSummary, csrfToken: Type.String() });

export const TokenName = Type.String({ minLength: 1, maxLength: 100, description: 'what the token is for, e.g. "laptop CLI"' });
/** How long a new token lives unless the request says otherwise, and the longest it may. */
export const tokenLifetimeDays = { default: 90, max: 366 } as const;
export const TokenExpiry = Type.String({
  minLength: 1,
  maxLength: 40,
  description: `when the token stops working (RFC 3339, in the future, at most ${tokenLifetimeDays.max} days ahead); ${tokenLifetimeDays.default} days from now when absent`,
});
export const CreateTokenWithPasswordBody = Type.Object(
  { user: Type.String({ minLength: 1, maxLength: 64 }), password: Password, name: TokenName, expiresAt: Type.Optional(TokenExpiry) },
  strict,
);
export const CreateTokenBody = Type.Object({ name: TokenName, expiresAt: Type.Optional(TokenExpiry) }, strict);
export const TokenCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  token: Type.String({ description: 'hth_…: shown this once' }),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer({ description: 'ms since epoch' }),
});
export const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.Integer(),
  lastUsedAt: Type.Optional(Type.Integer()),
  expiresAt: Type.Optional(Type.Integer({ description: 'ms since epoch; absent for tokens made before expiry existed' })),
  expired: Type.Boolean(),
});
export const TokenList = Type.Object({ tokens: Type.Array(TokenInfo) });

export const MeReply = Type.Object({
  name: Type.String(),
  role: Role,
  sshPublicKey: Type.Optional(Type.String()),
  csrfToken: Type.Optional(Type.String({ description: 'present when called with the session cookie' })),
});
export const SshKeyBody = Type.Object({ sshPublicKey: SshPublicKey }, strict);
export const SshKeyReply = Type.Object({ name: Type.String(), role: Role, sshPublicKey: Type.String() });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, strict);

export const Machine = Type.Object({
  id: Type.String(),
  type: Type.String(),
  cloud: Type.String(),
  region: Type.String(),
  state: MachineStateSchema,
  user: Type.String(),
  allocatedAt: Type.Integer(),
  connect: Connection,
  sshCommand: Type.String({ description: 'ready to paste, with -J where a jump host is needed' }),
  warnedAt: Type.Optional(Type.Integer()),
  reclaimAt: Type.Optional(Type.Integer()),
});
export type Machine = Static<typeof Machine>;

export const MachineRequestBody = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 100 }),
    sshPublicKey: Type.Optional(SshPublicKey),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    wait: Type.Optional(Type.Boolean({ description: 'hold the reply until served (201) or the deadline (504)' })),
  },
  strict,
);
export const RequestState = Type.Union([Type.Literal('queued'), Type.Literal('allocated'), Type.Literal('failed'), Type.Literal('cancelled')]);
export type RequestState = Static<typeof RequestState>;
export const MachineRequest = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: RequestState,
  position: Type.Optional(Type.Integer()),
  launching: Type.Optional(Type.String({ description: 'while queued: the machine being launched for this request' })),
  machine: Type.Optional(Machine),
  error: Type.Optional(Type.String()),
});
export type MachineRequest = Static<typeof MachineRequest>;
export const Served = Type.Object({ machine: Machine });
export const Queued = Type.Object({
  request: Type.Object({ id: Type.String(), type: Type.String(), state: Type.Literal('queued'), position: Type.Integer() }),
});
export const MachineList = Type.Object({ machines: Type.Array(Machine) });
export const MachinesQuery = Type.Object({ all: Type.Optional(Type.Boolean({ description: 'admin: everyone\'s machines' })) }, strict);
export const TypeList = Type.Object({ types: Type.Array(MachineTypeInfo) });

export const PoolParams = Type.Object({ type: Type.String({ minLength: 1 }), cloud: Type.String({ minLength: 1 }) }, strict);
export const ResizeBody = Type.Object(
  {
    minReady: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    max: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000 })),
  },
  { ...strict, minProperties: 1 },
);
export const PoolList = Type.Object({ pools: Type.Array(PoolStatus) });
export { PoolSettings, CloudStatus };
export const CloudList = Type.Object({ clouds: Type.Array(CloudStatus) });
export const CloudParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, strict);

export const UserView = Type.Object({ name: Type.String(), role: Role, disabled: Type.Boolean(), createdAt: Type.Integer() });
export const UserList = Type.Object({ users: Type.Array(UserView) });
export const CreateUserBody = Type.Object({ name: LoginName, password: NewPassword, role: Role }, strict);
export const UserParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, strict);
export const UpdateUserBody = Type.Object(
  { role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()), password: Type.Optional(NewPassword) },
  { ...strict, minProperties: 1 },
);

export const UsageQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000, default: 100 })) }, strict);
export const UsageList = Type.Object({ events: Type.Array(UsageEvent) });

/** Error replies every authenticated route can give, for the OpenAPI document. */
export const errorReplies = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem, 503: Problem } as const;
