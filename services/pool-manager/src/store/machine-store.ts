import { buckets, HearthError, MachineRecord, openKv, type Bus, type TypedKv } from '@hearth/bus';
import type { Logger } from '@hearth/log';

interface Cached {
  record: MachineRecord;
  revision: number;
}

/**
 * Machine records: KV `machines` is the truth; this keeps an in-memory index fed by a KV
 * watch, so a reconcile pass reads memory, not 50,000 keys. Every write is a
 * compare-and-set on the revision last seen: two allocators can never hand out one machine.
 */
export class MachineStore {
  private readonly cache = new Map<string, Cached>();
  /** type → ids of ready machines, in the order they became ready. */
  private readonly readyByType = new Map<string, Set<string>>();
  /** `type cloud` → ids of that cloud's ready machines of the type, in the same order. */
  private readonly readyByCloud = new Map<string, Set<string>>();
  private readonly listeners = new Set<(record: MachineRecord | undefined, id: string) => void>();
  private stopWatch: (() => void) | undefined;

  private constructor(
    private readonly kv: TypedKv<typeof MachineRecord>,
    private readonly log: Logger,
  ) {}

  /** Opens the bucket and resolves once every existing record is in memory. */
  static async open(bus: Bus, log: Logger): Promise<MachineStore> {
    const store = new MachineStore(await openKv(bus, buckets.machines, MachineRecord), log);
    await store.watch();
    return store;
  }

  private async watch(): Promise<void> {
    const status = await this.kv.kv.status();
    const iter = await this.kv.kv.watch();
    this.stopWatch = () => iter.stop();
    let synced: () => void = () => undefined;
    const initial = new Promise<void>((resolve) => (synced = resolve));
    if (status.values === 0) synced();
    void (async () => {
      for await (const entry of iter) {
        if (entry.operation === 'PUT') {
          try {
            this.apply(entry.key, { record: entry.json<MachineRecord>(), revision: entry.revision });
          } catch (err) {
            this.log.error({ err, machineId: entry.key }, 'unreadable machine record');
          }
        } else this.apply(entry.key, undefined);
        // the replay of existing records ends with the entry that has nothing pending behind it
        if (entry.isUpdate || (entry as { delta?: number }).delta === 0) synced();
      }
    })();
    await initial;
  }

  private apply(id: string, next: Cached | undefined): void {
    const current = this.cache.get(id);
    if (next && current && current.revision >= next.revision) return;
    if (current?.record.state === 'ready') {
      this.readyByType.get(current.record.type)?.delete(id);
      this.readyByCloud.get(`${current.record.type} ${current.record.cloud}`)?.delete(id);
    }
    if (next) this.cache.set(id, next);
    else this.cache.delete(id);
    if (next?.record.state === 'ready') {
      addTo(this.readyByType, next.record.type, id);
      addTo(this.readyByCloud, `${next.record.type} ${next.record.cloud}`, id);
    }
    for (const listener of this.listeners) listener(next?.record, id);
  }

  /** Called after every change (a record, or undefined when deleted). */
  onChange(listener: (record: MachineRecord | undefined, id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): MachineRecord | undefined {
    return this.cache.get(id)?.record;
  }

  /** Ready machines of a type, longest-ready first. */
  *ready(type: string): Generator<MachineRecord> {
    for (const id of this.readyByType.get(type) ?? []) {
      const record = this.cache.get(id)?.record;
      if (record?.state === 'ready') yield record;
    }
  }

  /** Ready machines of a type on one cloud, longest-ready first: the allocator reads the head, not the whole pool. */
  *readyOn(type: string, cloud: string): Generator<MachineRecord> {
    for (const id of this.readyByCloud.get(`${type} ${cloud}`) ?? []) {
      const record = this.cache.get(id)?.record;
      if (record?.state === 'ready') yield record;
    }
  }

  all(): IterableIterator<MachineRecord> {
    return (function* (cache) {
      for (const entry of cache.values()) yield entry.record;
    })(this.cache);
  }

  get size(): number {
    return this.cache.size;
  }

  /** Writes a new record. @throws HearthError KV_CONFLICT when the id exists. */
  async create(record: MachineRecord): Promise<MachineRecord> {
    const revision = await this.kv.create(record.id, record);
    this.apply(record.id, { record, revision });
    return record;
  }

  /**
   * Compare-and-set: `change` gets the current record and returns the next one, or
   * undefined to give up (the record is no longer in a state the caller can act on). On a
   * lost race it re-reads and asks `change` again, up to `attempts` times.
   * @returns the written record, or undefined when `change` gave up or the record is gone
   */
  async update(id: string, change: (current: MachineRecord) => MachineRecord | undefined, attempts = 5): Promise<MachineRecord | undefined> {
    let cached = this.cache.get(id);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (!cached) return undefined;
      const next = change(cached.record);
      if (!next) return undefined;
      next.updatedAt = Date.now();
      try {
        const revision = await this.kv.update(id, next, cached.revision);
        this.apply(id, { record: next, revision });
        return next;
      } catch (err) {
        if (!(err instanceof HearthError) || err.code !== 'KV_CONFLICT') throw err;
        // someone else wrote first: decide again on what is there now
        const fresh = await this.kv.get(id);
        cached = fresh ? { record: fresh.value, revision: fresh.revision } : undefined;
        if (fresh) this.apply(id, cached);
      }
    }
    throw new HearthError('CONFLICT', `updating machine ${id}: still contended after ${attempts} attempts`);
  }

  /** Deletes the record (the machine is gone). */
  async remove(id: string): Promise<void> {
    await this.kv.delete(id);
    this.apply(id, undefined);
  }

  stop(): void {
    this.stopWatch?.();
    this.listeners.clear();
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}
