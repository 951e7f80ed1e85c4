import { JetStreamApiError, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KvOptions } from '@nats-io/kv';
import type { Bus } from './connect.js';
import { subjects } from './subjects.js';

/** A KV bucket Hearth keeps state in, as named in the architecture. */
export interface BucketDefinition {
  name: string;
  description: string;
  /** Revisions kept per key (audit of recent changes). */
  history: number;
  /** Entries older than this are removed by the server; absent keeps them. */
  ttlMs?: number;
}

/** A stream Hearth appends events to. */
export interface StreamDefinition {
  name: string;
  description: string;
  subjects: string[];
  /** How long events are kept; 0 keeps them until limits say otherwise. */
  maxAgeMs: number;
}

export const buckets = {
  machines: { name: 'machines', description: 'machine id → machine record', history: 5 },
  pools: { name: 'pools', description: 'type.cloud → pool settings and who changed them', history: 10 },
  clouds: { name: 'clouds', description: 'cloud name → driver, region, limits, health, drained', history: 5 },
  transfers: { name: 'transfers', description: 'transfer id → transfer record and progress', history: 5 },
  regions: { name: 'regions', description: 'region name → region record', history: 10 },
  users: { name: 'users', description: 'user name → account: role, scrypt password hash, ssh key, disabled', history: 5 },
  sessions: { name: 'sessions', description: 'session id → user, CSRF token, expiry (portal logins)', history: 1, ttlMs: 7 * 86_400_000 },
  tokens: { name: 'tokens', description: 'token id → user, name, SHA-256 of the personal API token, last use', history: 1 },
  logins: { name: 'login_attempts', description: 'account or address → password checks in the current rate-limit window, shared by every gateway', history: 1, ttlMs: 86_400_000 },
  leases: { name: 'leases', description: 'job → the one replica doing it (pool-manager: allocation and reconcile), renewed while it lives', history: 1 },
  requests: { name: 'requests', description: 'queued machine request id → user, type, state, machine: readable by every gateway', history: 1, ttlMs: 86_400_000 },
} as const satisfies Record<string, BucketDefinition>;

const day = 86_400_000;
/** JetStream API error: a stream of this name exists with a different configuration. */
const streamNameInUse = 10058;
export const streams = {
  usage: {
    name: 'USAGE',
    description: 'every machine lifecycle event, the raw material of analytics',
    subjects: [subjects.usage.all],
    maxAgeMs: 400 * day,
  },
  transfers: {
    name: 'TRANSFERS',
    description: 'transfer progress events',
    subjects: [subjects.transfers.events],
    maxAgeMs: 30 * day,
  },
  provisioning: {
    name: 'PROVISIONING',
    description: 'region provisioning playbook events',
    subjects: [subjects.regions.events],
    maxAgeMs: 90 * day,
  },
} as const satisfies Record<string, StreamDefinition>;

export interface EnsureStorageOptions {
  /** Copies of each stream/bucket; 3 or 5 in a JetStream cluster. */
  replicas?: number;
}

/**
 * Creates every stream and KV bucket of the architecture, or brings an existing one's
 * settings up to date. Safe to call from every service at every start, concurrently.
 */
export async function ensureStorage(bus: Bus, opts: EnsureStorageOptions = {}): Promise<void> {
  const replicas = opts.replicas ?? 1;
  const jsm = await bus.jsm();
  for (const def of Object.values(streams)) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: def.name,
      description: def.description,
      subjects: [...def.subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: def.maxAgeMs * 1_000_000,
      num_replicas: replicas,
    };
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // already there with other settings (a changed description or age): update in place
      if (!(err instanceof JetStreamApiError && err.code === streamNameInUse)) throw err;
      await jsm.streams.update(def.name, config);
    }
  }
  const kvm = new Kvm(bus.js);
  for (const def of Object.values(buckets)) {
    const options: Partial<KvOptions> = {
      description: def.description,
      history: def.history,
      storage: StorageType.File,
      replicas,
      ...('ttlMs' in def ? { ttl: def.ttlMs } : {}),
    };
    const kv = await kvm.create(def.name, options);
    // create() binds to an existing bucket as it is; bring changed settings up to date
    const status = await kv.status();
    const stream = `KV_${def.name}`;
    const { config } = await jsm.streams.info(stream);
    if (status.history !== def.history || status.description !== def.description || config.num_replicas !== replicas) {
      await jsm.streams.update(stream, { ...config, max_msgs_per_subject: def.history, description: def.description, num_replicas: replicas });
    }
  }
}
