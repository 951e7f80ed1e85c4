import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Static, TSchema } from 'typebox';
import { formatPath, schemaIssues } from '@hearth/config';
import type { Bus } from './connect.js';
import { HearthError } from './errors.js';
import type { BucketDefinition } from './storage.js';

/** A value together with the revision a compare-and-set must name. */
export interface Revisioned<T> {
  key: string;
  value: T;
  revision: number;
}

/**
 * A KV bucket whose values are checked against one schema on every read and write, and
 * whose updates are compare-and-set on the revision last read.
 */
export class TypedKv<S extends TSchema> {
  constructor(
    readonly kv: KV,
    readonly schema: S,
    readonly bucket: string,
  ) {}

  /** The value and its revision, or undefined when the key is absent or deleted. */
  async get(key: string): Promise<Revisioned<Static<S>> | undefined> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const value: unknown = entry.json();
    this.check(value, key);
    return { key, value: value as Static<S>, revision: entry.revision };
  }

  /**
   * Writes only if the key does not exist yet.
   * @throws HearthError KV_CONFLICT when it does.
   */
  async create(key: string, value: Static<S>): Promise<number> {
    this.check(value, key);
    try {
      return await this.kv.create(key, JSON.stringify(value));
    } catch (err) {
      throw this.conflict(err, key, 'creating');
    }
  }

  /**
   * Compare-and-set: writes only if the stored revision is still `revision`.
   * @throws HearthError KV_CONFLICT when someone else wrote first.
   */
  async update(key: string, value: Static<S>, revision: number): Promise<number> {
    this.check(value, key);
    try {
      return await this.kv.update(key, JSON.stringify(value), revision);
    } catch (err) {
      throw this.conflict(err, key, 'updating');
    }
  }

  /** Unconditional write, for records that have one writer. */
  async put(key: string, value: Static<S>): Promise<number> {
    this.check(value, key);
    return this.kv.put(key, JSON.stringify(value));
  }

  /** Deletes; with `revision`, only if unchanged since. Deleting an absent key is fine. */
  async delete(key: string, revision?: number): Promise<void> {
    try {
      await this.kv.delete(key, revision === undefined ? undefined : { previousSeq: revision });
    } catch (err) {
      throw this.conflict(err, key, 'deleting');
    }
  }

  /** Every live key. */
  async keys(filter?: string): Promise<string[]> {
    const out: string[] = [];
    for await (const key of await this.kv.keys(filter)) out.push(key);
    return out;
  }

  private check(value: unknown, key: string): void {
    const issues = schemaIssues(this.schema, value);
    if (issues.length > 0) {
      const text = issues.map((i) => `${formatPath(i.path) || '(root)'} ${i.message}`).join('; ');
      throw new HearthError('INTERNAL', `${this.bucket}/${key} does not match its schema: ${text}`);
    }
  }

  private conflict(err: unknown, key: string, doing: string): Error {
    // the server refuses a write whose expected revision is stale with "wrong last sequence"
    const stale: number[] = [JetStreamApiCodes.StreamWrongLastSequence, JetStreamApiCodes.StreamWrongLastSequenceUnknown];
    if (err instanceof JetStreamApiError && stale.includes(err.code)) {
      return new HearthError('KV_CONFLICT', `${doing} ${this.bucket}/${key}: changed by someone else`, { key }, { cause: err });
    }
    return err as Error;
  }
}

/** Opens a bucket made by ensureStorage, typed by `schema`. */
export async function openKv<S extends TSchema>(bus: Bus, bucket: BucketDefinition, schema: S): Promise<TypedKv<S>> {
  const kv = await new Kvm(bus.js).open(bucket.name);
  return new TypedKv(kv, schema, bucket.name);
}
