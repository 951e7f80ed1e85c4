import Type, { type Static } from 'typebox';

/** Lifecycle states of a machine record (ARCHITECTURE.md "Machine lifecycle"); `gone` is a deleted record. */
export const MachineState = {
  Launching: 'launching',
  Booting: 'booting',
  Ready: 'ready',
  Allocated: 'allocated',
  Deleting: 'deleting',
  Failed: 'failed',
} as const;
export type MachineState = (typeof MachineState)[keyof typeof MachineState];

export const MachineStateSchema = Type.Union([
  Type.Literal('launching'),
  Type.Literal('booting'),
  Type.Literal('ready'),
  Type.Literal('allocated'),
  Type.Literal('deleting'),
  Type.Literal('failed'),
]);

/** A POSIX login name as `useradd` accepts it by default. */
export const LoginName = Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}$', description: 'login name: lower-case letter or _, then up to 31 of a-z 0-9 _ -' });

/** An OpenSSH public key line: `ssh-ed25519 AAAA… comment`. */
export const SshPublicKey = Type.String({
  pattern: '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,3}( [^\\r\\n]*)?$',
  maxLength: 16_384,
  description: 'one OpenSSH public key line, e.g. "ssh-ed25519 AAAAC3Nz... ada@laptop"',
});

/** How to reach a machine over SSH. */
export const Connection = Type.Object({
  host: Type.String(),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  user: Type.String(),
  /** A jump host (`user@host:port`) where the machine sits behind the region's bastion. */
  jump: Type.Optional(Type.String()),
});
export type Connection = Static<typeof Connection>;

/** The machine record kept in KV `machines`; every change is a compare-and-set on its revision. */
export const MachineRecord = Type.Object({
  id: Type.String(),
  type: Type.String(),
  cloud: Type.String(),
  region: Type.String(),
  state: MachineStateSchema,
  /** The cloud's id, recorded as soon as the cloud assigned it. */
  cloudRef: Type.Optional(Type.String()),
  privateIp: Type.Optional(Type.String()),
  user: Type.Optional(Type.String()),
  createdAt: Type.Integer({ description: 'ms since epoch' }),
  updatedAt: Type.Integer(),
  /** When boot must be done by, else the machine fails. */
  bootDeadline: Type.Optional(Type.Integer()),
  launchedAt: Type.Optional(Type.Integer()),
  readyAt: Type.Optional(Type.Integer()),
  allocatedAt: Type.Optional(Type.Integer()),
  /** Last time the activity probe saw a session or CPU use. */
  activeAt: Type.Optional(Type.Integer()),
  warnedAt: Type.Optional(Type.Integer()),
  /** When a warned machine is reclaimed if it stays idle (warnedAt + the grace period). */
  reclaimAt: Type.Optional(Type.Integer()),
  /** Why it failed, or why it is being deleted. */
  reason: Type.Optional(Type.String()),
  /** Instance gone from the cloud while the record said otherwise. */
  vanished: Type.Optional(Type.Boolean()),
});
export type MachineRecord = Static<typeof MachineRecord>;

export const AllocateRequest = Type.Object(
  {
    type: Type.String({ minLength: 1, description: 'machine type name' }),
    user: LoginName,
    sshPublicKey: SshPublicKey,
    region: Type.Optional(Type.String({ minLength: 1 })),
    /** How long the caller will wait in the queue when nothing is ready; 2 minutes by default. */
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    /** Lets the caller cancel a queued request with `machines.cancel`. */
    requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type AllocateRequest = Static<typeof AllocateRequest>;

export const AllocateReply = Type.Object({
  machineId: Type.String(),
  type: Type.String(),
  cloud: Type.String(),
  region: Type.String(),
  connect: Connection,
  /** From request to answer. */
  waitedMs: Type.Integer({ minimum: 0 }),
  /** True when a ready machine was waiting; false when the request had to wait for one. */
  warm: Type.Boolean(),
});
export type AllocateReply = Static<typeof AllocateReply>;

export const ReleaseRequest = Type.Object(
  { machineId: Type.String({ minLength: 1 }), user: LoginName },
  { additionalProperties: false },
);
export type ReleaseRequest = Static<typeof ReleaseRequest>;

export const CancelRequest = Type.Object({ requestId: Type.String({ minLength: 1 }) }, { additionalProperties: false });
export const CancelReply = Type.Object({ cancelled: Type.Boolean() });

export const ListMachinesRequest = Type.Object(
  { user: Type.Optional(Type.String()), type: Type.Optional(Type.String()), state: Type.Optional(MachineStateSchema) },
  { additionalProperties: false },
);
/** A machine as listed: its record and, once allocated, how its user connects. */
export const MachineListing = Type.Intersect([MachineRecord, Type.Object({ connect: Type.Optional(Connection) })]);
export type MachineListing = Static<typeof MachineListing>;
export const ListMachinesReply = Type.Object({ machines: Type.Array(MachineListing) });

/**
 * KV `requests`, key = request id: a machine request that was queued. The gateway that took
 * it writes it (queued) before answering 202; the pool manager, which serves, cancels or
 * times it out, writes how it ended. Any gateway replica reads it for GET and DELETE
 * /requests/:id, also after a restart. The bucket's TTL (a day) removes old ones.
 */
export const RequestRecord = Type.Object({
  id: Type.String(),
  user: Type.String(),
  type: Type.String(),
  state: Type.Union([Type.Literal('queued'), Type.Literal('allocated'), Type.Literal('failed'), Type.Literal('cancelled')]),
  machineId: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
export type RequestRecord = Static<typeof RequestRecord>;

/** Published on `hearth.machines.events.<kind>` as a machine or request moves on. */
export const MachineEvent = Type.Object({
  kind: Type.Union([
    Type.Literal('queued'),
    Type.Literal('position'),
    Type.Literal('launching'),
    Type.Literal('ready'),
    Type.Literal('allocated'),
    Type.Literal('reclaim-warning'),
    Type.Literal('reclaimed'),
    Type.Literal('released'),
    Type.Literal('failed'),
  ]),
  at: Type.Integer(),
  machineId: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  user: Type.Optional(Type.String()),
  position: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  /** On a reclaim warning: when the machine is reclaimed unless it is used before. */
  reclaimAt: Type.Optional(Type.Integer()),
});
export type MachineEvent = Static<typeof MachineEvent>;

/** One machine type as people see it: what it is, and how many are warm on each cloud right now. */
export const MachineTypeInfo = Type.Object({
  name: Type.String(),
  description: Type.String(),
  cpus: Type.Number(),
  memoryMb: Type.Integer(),
  gpus: Type.Integer(),
  sudo: Type.Boolean(),
  idleLimitMs: Type.Integer(),
  maxLifetimeMs: Type.Integer(),
  /** Ready machines per cloud name. */
  warm: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  /** Ready machines over all clouds. */
  ready: Type.Integer({ minimum: 0 }),
  /** Requests waiting for this type. */
  queued: Type.Integer({ minimum: 0 }),
});
export type MachineTypeInfo = Static<typeof MachineTypeInfo>;

export const ListTypesRequest = Type.Object({}, { additionalProperties: false });
export const ListTypesReply = Type.Object({ types: Type.Array(MachineTypeInfo) });
