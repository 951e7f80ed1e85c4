import { randomBytes } from 'node:crypto';

/** An error the fake answers with: EC2's error code, its message and HTTP status. */
export class Ec2ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = statusOfCode(code),
  ) {
    super(message);
  }
}

/** HTTP status EC2 answers each error code with: client errors 400 unless listed, server errors 5xx. */
export function statusOfCode(code: string): number {
  switch (code) {
    case 'AuthFailure':
    case 'MissingAuthenticationToken':
      return 401;
    case 'UnauthorizedOperation':
    case 'SignatureDoesNotMatch':
    case 'OptInRequired':
      return 403;
    case 'DryRunOperation':
      return 412;
    case 'InsufficientInstanceCapacity':
    case 'InsufficientHostCapacity':
    case 'InternalError':
      return 500;
    case 'RequestLimitExceeded':
    case 'Unavailable':
      return 503;
    default:
      return 400;
  }
}

/** Instance state names and codes (EC2 API reference, InstanceState). */
export const stateCodes = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 } as const;
export type StateName = keyof typeof stateCodes;

/** vCPUs and memory of the instance types the fake knows (a few real ones). */
export interface InstanceTypeShape {
  vcpus: number;
  memoryMiB: number;
}

export const defaultInstanceTypes: Readonly<Record<string, InstanceTypeShape>> = {
  'm1.small': { vcpus: 1, memoryMiB: 1740 },
  't3.micro': { vcpus: 2, memoryMiB: 1024 },
  't3.small': { vcpus: 2, memoryMiB: 2048 },
  't3.medium': { vcpus: 2, memoryMiB: 4096 },
  'm5.large': { vcpus: 2, memoryMiB: 8192 },
  'm5.xlarge': { vcpus: 4, memoryMiB: 16384 },
  'c5.2xlarge': { vcpus: 8, memoryMiB: 16384 },
  'r5.4xlarge': { vcpus: 16, memoryMiB: 131072 },
  'g4dn.xlarge': { vcpus: 4, memoryMiB: 16384 },
};

/** One instance of the fake account. State is computed from its timestamps when read. */
export interface FakeInstance {
  id: string;
  reservationId: string;
  /** Launch order; pages are served in it. */
  seq: number;
  imageId: string;
  instanceType: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  securityGroupIds: string[];
  keyName?: string;
  userData?: string;
  clientToken?: string;
  tags: Map<string, string>;
  volumeId: string;
  volumeTags: Map<string, string>;
  launchedAt: number;
  terminatedAt?: number;
}

/** `prefix-` and 17 hex digits, as EC2's ids look today. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** Timing of the fake's state machine. */
export interface Timing {
  /** pending → running after this long. */
  pendingMs: number;
  /** shutting-down → terminated after this long. */
  shuttingDownMs: number;
  /** A terminated instance is still described this long, then forgotten (EC2: about an hour). */
  keepTerminatedMs: number;
}

/** The state of an instance at `now`. */
export function stateOf(instance: FakeInstance, now: number, timing: Timing): StateName {
  if (instance.terminatedAt !== undefined) {
    return now < instance.terminatedAt + timing.shuttingDownMs ? 'shutting-down' : 'terminated';
  }
  return now < instance.launchedAt + timing.pendingMs ? 'pending' : 'running';
}

/** The instances of one account in one region, with its limits. */
export class FakeAccount {
  readonly instances = new Map<string, FakeInstance>();
  /** RunInstances idempotency: client token → the request's fingerprint and the instances it made. */
  readonly clientTokens = new Map<string, { fingerprint: string; instances: FakeInstance[] }>();
  #seq = 0;
  #nextHost = 4;
  readonly #base: number;

  /** `subnetCidr` is the /16 addresses come from: 10.0.0.0/16 unless given (another /16 keeps clear of a network that uses 10.0.0.0). */
  constructor(
    readonly timing: Timing,
    readonly now: () => number,
    readonly subnetCidr = '10.0.0.0/16',
  ) {
    const match = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(subnetCidr);
    if (!match) throw new Error(`the ec2 fake takes a /16 as its subnet (a.b.0.0/16), got "${subnetCidr}"`);
    this.#base = (Number(match[1]) << 8) | Number(match[2]);
  }

  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  /** The next free address of the subnet (10.0.0.0/16 by default; the first four of each /24 are AWS's). */
  nextPrivateIp(): string {
    const host = this.#nextHost;
    this.#nextHost += 1;
    if (this.#nextHost % 256 === 255) this.#nextHost += 5;
    return `${this.#base >> 8}.${this.#base & 255}.${Math.floor(host / 256)}.${host % 256}`;
  }

  state(instance: FakeInstance): StateName {
    return stateOf(instance, this.now(), this.timing);
  }

  /** Forgets instances terminated long ago, as EC2 stops describing them. */
  sweep(): void {
    const now = this.now();
    for (const [id, instance] of this.instances) {
      const { terminatedAt } = instance;
      if (terminatedAt !== undefined && now > terminatedAt + this.timing.shuttingDownMs + this.timing.keepTerminatedMs) {
        this.instances.delete(id);
      }
    }
  }

  /** Instances in launch order. */
  ordered(): FakeInstance[] {
    return [...this.instances.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Instances that count against the running-instance and vCPU limits. */
  counted(): FakeInstance[] {
    return this.ordered().filter((i) => {
      const state = this.state(i);
      return state === 'pending' || state === 'running';
    });
  }
}
