import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Static, TSchema } from 'typebox';
import { formatPath, schemaIssues } from '@hearth/config';
import type { Bus } from './connect.js';
import { HearthError } from './errors.js';
import type { BucketDefinition } from './storage.js';
import type { RequestRecord } from './schemas/machines.js';

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

/** A compare-and-set lost to another writer (KV_CONFLICT from create, update or delete). */
export function isConflict(err: unknown): boolean {
  return err instanceof HearthError && err.code === 'KV_CONFLICT';
}

/** Opens a bucket made by ensureStorage, typed by `schema`. */
export async function openKv<S extends TSchema>(bus: Bus, bucket: BucketDefinition, schema: S): Promise<TypedKv<S>> {
  const kv = await new Kvm(bus.js).open(bucket.name);
  return new TypedKv(kv, schema, bucket.name);
}

/** Told of a change a KvIndex applied: the key, its new value (undefined when deleted) and the value it replaced. */
export type KvChangeListener<T> = (key: string, next: T | undefined, previous: T | undefined) => void;

/**
 * Every live record of a bucket in memory, fed by a KV watch: reads cost no round trip, and
 * a change made anywhere (another gateway revoking a token) arrives within milliseconds.
 * Records that do not match the schema are left out (and reported through `onInvalid`).
 * The writer's own changes can be applied at once with `apply`, so a writer reads what it
 * wrote; a change is applied only when its revision is newer than the one held.
 */
export class KvIndex<S extends TSchema> {
  private readonly records = new Map<string, Revisioned<Static<S>>>();
  private readonly listeners = new Set<KvChangeListener<Static<S>>>();
  /** Revision of the last delete seen per key, so an older write arriving late does not bring a record back. */
  private readonly deleted = new Map<string, number>();
  private stopWatch: (() => void) | undefined;

  private constructor(readonly typed: TypedKv<S>) {}

  /** Starts watching and resolves once every existing record is in memory. */
  static async open<S extends TSchema>(typed: TypedKv<S>, onInvalid: (key: string, err: unknown) => void = () => undefined, onChange?: KvChangeListener<Static<S>>): Promise<KvIndex<S>> {
    const index = new KvIndex(typed);
    // set before the replay, so a caller's derived indexes see every record
    if (onChange) index.listeners.add(onChange);
    const status = await typed.kv.status();
    const iter = await typed.kv.watch();
    index.stopWatch = () => iter.stop();
    let synced: () => void = () => undefined;
    const initial = new Promise<void>((resolve) => (synced = resolve));
    if (status.values === 0) synced();
    void (async () => {
      for await (const entry of iter) {
        if (entry.operation === 'PUT' && entry.revision <= index.heldRevision(entry.key)) {
          // a write this process made and applied already (the watch echoes every write back):
          // nothing to parse or check
        } else if (entry.operation === 'PUT') {
          try {
            const value: unknown = entry.json();
            if (schemaIssues(typed.schema, value).length > 0) throw new Error(`${typed.bucket}/${entry.key} does not match its schema`);
            index.apply({ key: entry.key, value: value as Static<S>, revision: entry.revision });
          } catch (err) {
            onInvalid(entry.key, err);
          }
        } else index.applyDelete(entry.key, entry.revision);
        // the replay of existing records ends with the entry that has nothing pending behind it
        if (entry.isUpdate || (entry as { delta?: number }).delta === 0) synced();
      }
    })();
    await initial;
    return index;
  }

  get(key: string): Revisioned<Static<S>> | undefined {
    return this.records.get(key);
  }

  get size(): number {
    return this.records.size;
  }

  /** Called after every applied change: the new value (undefined when deleted) and the one it replaced. */
  onChange(listener: KvChangeListener<Static<S>>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  values(): IterableIterator<Static<S>> {
    return (function* (records) {
      for (const r of records.values()) yield r.value;
    })(this.records);
  }

  /** The revision held for a key: of its record, of its delete, or 0. */
  private heldRevision(key: string): number {
    return this.records.get(key)?.revision ?? this.deleted.get(key) ?? 0;
  }

  /** Applies a write (seen or made), unless the index already holds a newer revision of the key. */
  apply(record: Revisioned<Static<S>>): void {
    if (record.revision <= this.heldRevision(record.key)) return;
    const previous = this.records.get(record.key)?.value;
    this.deleted.delete(record.key);
    this.records.set(record.key, record);
    this.emit(record.key, record.value, previous);
  }

  /**
   * Applies a delete. Without a revision (the writer's own delete, whose revision KV does not
   * return) the key stays deleted, whatever older write the watch still delivers, until the
   * watch brings the delete itself.
   */
  applyDelete(key: string, revision?: number): void {
    const previous = this.records.get(key)?.value;
    if (revision === undefined) {
      this.records.delete(key);
      this.deleted.set(key, Number.POSITIVE_INFINITY);
      if (previous !== undefined) this.emit(key, undefined, previous);
      return;
    }
    const held = this.records.get(key)?.revision ?? 0;
    const gone = this.deleted.get(key);
    if (revision <= held || (gone !== undefined && gone !== Number.POSITIVE_INFINITY && revision <= gone)) return;
    this.records.delete(key);
    this.deleted.set(key, revision);
    if (previous !== undefined) this.emit(key, undefined, previous);
  }

  private emit(key: string, next: Static<S> | undefined, previous: Static<S> | undefined): void {
    for (const listener of this.listeners) listener(key, next, previous);
  }

  stop(): void {
    this.stopWatch?.();
    this.listeners.clear();
  }
}

/**
 * Writes how a queued request ended to KV `requests`, unless it has ended there already
 * (compare-and-set on the queued record; a request nobody recorded as queued is left alone).
 * Both the gateway that took the request and the pool manager that ended it call this:
 * whichever writes first wins, the other finds it ended.
 * @param read the record as just read, when the caller has it (saves reading it again)
 * @returns false when there was nothing to write
 */
export async function recordRequestEnd(
  kv: TypedKv<typeof RequestRecord>,
  id: string,
  end: { state: 'allocated' | 'failed' | 'cancelled'; machineId?: string; error?: string },
  read?: Revisioned<Static<typeof RequestRecord>>,
): Promise<boolean> {
  const current = read ?? (await kv.get(id));
  if (!current || current.value.state !== 'queued') return false;
  try {
    await kv.update(id, { ...current.value, ...end, updatedAt: Date.now() }, current.revision);
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}
