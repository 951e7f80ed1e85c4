// The REST API's shapes as docs/api.md documents them. The portal is a client of the
// HTTP API, not of the bus, so it keeps its own copy of what it reads.

export type Role = 'scientist' | 'admin';

export interface Me {
  name: string;
  role: Role;
  sshPublicKey?: string;
  csrfToken?: string;
}

export interface LoginReply {
  user: { name: string; role: Role };
  csrfToken: string;
}

export interface ApiToken {
  id: string;
  name: string;
  createdAt: string | number;
  lastUsedAt?: string | number;
  expiresAt?: string | number;
  expired?: boolean;
}

export interface NewApiToken extends ApiToken {
  /** The secret, shown this once. */
  token: string;
}

export interface MachineType {
  name: string;
  description: string;
  cpus: number;
  memoryMb: number;
  gpus: number;
  sudo: boolean;
  idleLimitMs: number;
  /** Ready machines per cloud. */
  warm: Record<string, number>;
  ready: number;
  queued: number;
}

export interface Connect {
  host: string;
  port: number;
  user: string;
  /** Jump host `user@host:port` when the machine sits behind a bastion. */
  jump?: string;
}

export type MachineState = 'launching' | 'booting' | 'ready' | 'allocated' | 'deleting' | 'failed';

export interface Machine {
  id: string;
  type: string;
  cloud: string;
  region: string;
  state: MachineState;
  user: string;
  allocatedAt: string | number;
  connect: Connect;
  sshCommand: string;
  warnedAt?: string | number;
  reclaimAt?: string | number;
}

export interface QueuedRequest {
  id: string;
  type: string;
  state: 'queued' | 'allocated' | 'failed' | 'cancelled';
  position?: number;
  machine?: Machine;
  error?: string;
}

export type RequestReply = { machine: Machine } | { request: QueuedRequest };

export interface PoolSettings {
  type: string;
  cloud: string;
  minReady: number;
  max: number;
  weight: number;
  mode?: 'fixed' | 'predictive';
  changedBy?: string;
  changedAt?: number;
}

export interface PoolStatus {
  settings: PoolSettings;
  counts: Record<MachineState, number>;
  queued: number;
}

export type CloudHealth = 'healthy' | 'degraded' | 'down';

export interface CloudStatus {
  name: string;
  driver: string;
  region: string;
  health: CloudHealth;
  reason?: string;
  drained: boolean;
  drainedBy?: string;
  changedAt: number;
  stats: {
    apiCalls: number;
    apiErrors: number;
    apiLatencyMsP95?: number;
    launches: number;
    launchFailures: number;
    bootMsP50?: number;
  };
  quota?: {
    /** null: the cloud sets no limit. */
    limits: { instances: number | null; cores: number | null; ramMb: number | null };
    used: { instances: number; cores: number; ramMb: number };
  };
}

export interface HealthReport {
  name: string;
  id: string;
  version: string;
  healthy: boolean;
  startedAt: string;
  uptimeMs: number;
  pid: number;
  host: string;
  checks: { name: string; ok: boolean; detail?: string }[];
  urls?: Record<string, string>;
}

export interface StatusReply {
  nats: { connected: boolean; server?: string };
  healthy: boolean;
  services: HealthReport[];
}

export interface User {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string | number;
}

export interface UsageEvent {
  event: string;
  at: number;
  type: string;
  cloud?: string;
  region?: string;
  user?: string;
  machineId?: string;
  requestId?: string;
  waitMs?: number;
  warm?: boolean;
  bootMs?: number;
  reason?: string;
  by?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export type MachineEventKind =
  | 'queued'
  | 'position'
  | 'launching'
  | 'ready'
  | 'allocated'
  | 'reclaim-warning'
  | 'reclaimed'
  | 'released'
  | 'failed';

export interface MachineEvent {
  kind: MachineEventKind;
  at: number;
  machineId?: string;
  requestId?: string;
  type?: string;
  user?: string;
  position?: number;
  reason?: string;
  /** On a reclaim warning: when the machine is reclaimed unless it is used before. */
  reclaimAt?: number;
}

/** One websocket message from `/api/v1/events`. */
export type LiveMessage =
  | { topic: 'machine'; event: MachineEvent }
  | { topic: 'usage'; event: UsageEvent }
  | { topic: 'pool'; event: unknown }
  | { topic: 'cloud'; event: unknown };

/** An RFC 9457 problem document as the gateway sends it. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  issues?: { path: string; message: string }[];
}
