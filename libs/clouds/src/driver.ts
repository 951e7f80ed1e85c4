import type { TSchema } from 'typebox';
import type { Logger } from '@hearth/log';

/** The kinds of cloud Hearth can drive. */
export const DriverKind = { Docker: 'docker', OpenStack: 'openstack', Ec2: 'ec2', Sim: 'sim' } as const;
export type DriverKind = (typeof DriverKind)[keyof typeof DriverKind];

/** Normalized instance state; each driver maps its provider's statuses onto these in its map.ts. */
export const InstanceState = {
  Pending: 'pending',
  Running: 'running',
  Stopped: 'stopped',
  Error: 'error',
  Deleting: 'deleting',
} as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

/** The owner tags every instance carries; the cloud's own copy of who owns what. */
export const OwnerTag = {
  Installation: 'hearth:installation',
  Machine: 'hearth:machine',
  Type: 'hearth:type',
  User: 'hearth:user',
  AllocatedAt: 'hearth:allocated-at',
} as const;

/** What the cloud calls an instance; opaque outside the driver that made it. */
export interface InstanceRef {
  /** The provider's id (container id, Nova server id, EC2 instance id). */
  id: string;
}

/** One instance to launch. */
export interface LaunchSpec {
  /** Hearth's machine id; also the instance name where the cloud has names. */
  machineId: string;
  /** Machine type name, e.g. `mantid-16`. */
  type: string;
  /** The image on this cloud (a Docker image tag, a Glance image name, an AMI id). */
  image: string;
  /** The flavor on this cloud (Nova flavor, EC2 instance type); Docker ignores it. */
  flavor?: string;
  cpus: number;
  memoryMb: number;
  /** Owner tags; must include hearth:installation and hearth:machine. */
  tags: Readonly<Record<string, string>>;
  /** The region's private network to attach to. */
  network?: string;
  /** Public keys allowed to log in as root: the installation's own key, for readiness probes and personalization. */
  authorizedKeys: readonly string[];
  /** cloud-init user data, where the cloud supports it. */
  userData?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** A child logger bound to machineId and cloud. */
  log?: Logger;
}

export interface Instance {
  ref: InstanceRef;
  state: InstanceState;
  privateIp?: string;
  publicIp?: string;
  tags: Readonly<Record<string, string>>;
  createdAt: Date;
  /** Why the instance is in `error` (the provider's fault text). */
  fault?: string;
  /** The provider's own record, for logs and debugging only, never for logic. */
  raw?: unknown;
}

/** Limits and current use; Infinity where the cloud sets no limit. */
export interface Quota {
  limits: { instances: number; cores: number; ramMb: number };
  used: { instances: number; cores: number; ramMb: number };
}

/** One instance of a driver talks to one configured cloud (one account, one region). */
export interface CloudDriver {
  readonly kind: DriverKind;
  /** The configured cloud name, e.g. `docker-local`, `os-site-a`. */
  readonly cloud: string;

  /**
   * Asks the cloud for one instance and returns as soon as the cloud has assigned an id.
   * Never waits for boot. Tags the instance with spec.tags.
   * @throws QuotaExceededError | CapacityError | InvalidSpecError | AuthError | CloudUnavailableError
   */
  launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef>;

  /** Current normalized state, or undefined when the cloud no longer knows the instance. */
  describe(ref: InstanceRef, opts?: CallOptions): Promise<Instance | undefined>;

  /** Every instance carrying this installation's tag (restart recovery, leak sweep, quota use). */
  list(opts?: CallOptions): Promise<Instance[]>;

  /** Starts deletion. Resolves if the cloud accepted it or the instance is already gone (idempotent). */
  terminate(ref: InstanceRef, opts?: CallOptions): Promise<void>;

  /**
   * Adds or overwrites owner tags on a live instance (user and allocation time once
   * allocated), merged with the tags it has; durable in the cloud itself. Resolves for an
   * instance that is already gone.
   */
  tag(ref: InstanceRef, tags: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void>;

  /** Limits and current use in instances, cores and ramMb. */
  quota(opts?: CallOptions): Promise<Quota>;

  /** The cheapest authenticated call; used by cloud health. Throws the same typed errors. */
  probe(opts?: CallOptions): Promise<void>;

  close(): Promise<void>;
}

/** Makes drivers of one kind from their validated config section. */
export interface DriverFactory<C> {
  kind: DriverKind;
  /** Merged into the pool manager's config union by `driver`. */
  configSchema: TSchema;
  create(config: C, deps: { log: Logger; installation: string }): CloudDriver;
}
