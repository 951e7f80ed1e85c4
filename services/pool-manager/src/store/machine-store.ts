import { buckets, HearthError, isConflict, KvIndex, MachineRecord, openKv, type Bus } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import { emptyCounts, type StateCounts } from '../domain/pool-target.js';

type State = MachineRecord['state'];

/**
 * Machine records: KV `machines` is the truth; this keeps them in memory (a KvIndex fed by
 * a KV watch) with indexes kept up to date on every change, so what a reconcile pass or a
 * request asks costs the size of the answer, not a walk over 50,000 records: machines by
 * state, counts per pool, ready machines in the order they became ready, a user's machines.
 * Every write is a compare-and-set on the revision last seen: two allocators can never hand
 * out one machine.
 */
export class MachineStore {
  /** state → ids. */
  private readonly byState = new Map<State, Set<string>>();
  /** `type.cloud` → machines per state. */
  private readonly counts = new Map<string, StateCounts>();
  /** type → ids of ready machines, in the order they became ready. */
  private readonly readyByType = new Map<string, Set<string>>();
  /** `type cloud` → ids of that cloud's ready machines of the type, in the same order. */
  private readonly readyByCloud = new Map<string, Set<string>>();
  /** user → ids of the machines allocated to them. */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly listeners = new Set<(record: MachineRecord | undefined, id: string) => void>();

  private constructor(private readonly index: KvIndex<typeof MachineRecord>) {}

  /** Opens the bucket and resolves once every existing record is in memory. */
  static async open(bus: Bus, log: Logger): Promise<MachineStore> {
    const kv = await openKv(bus, buckets.machines, MachineRecord);
    // the replay's changes arrive before the store exists: held, then applied in order
    const pending: [string, MachineRecord | undefined, MachineRecord | undefined][] = [];
    let deliver = (id: string, next: MachineRecord | undefined, previous: MachineRecord | undefined): void => void pending.push([id, next, previous]);
    const index = await KvIndex.open(
      kv,
      (machineId, err) => log.error({ err, machineId }, 'unreadable machine record; left out'),
      (id, next, previous) => deliver(id, next, previous),
    );
    const store = new MachineStore(index);
    for (const [id, next, previous] of pending) store.changed(id, next, previous);
    deliver = (id, next, previous) => store.changed(id, next, previous);
    return store;
  }

  private changed(id: string, next: MachineRecord | undefined, previous: MachineRecord | undefined): void {
    // an index entry moves only when what it is keyed by changes, so each keeps its order
    // (ready machines longest-ready first) and a set being iterated never sees an id twice
    const moved = (key: (r: MachineRecord) => string | undefined): boolean => !previous || !next || key(previous) !== key(next);
    if (moved((r) => `${r.state} ${r.type} ${r.cloud}`)) {
      if (previous) {
        this.byState.get(previous.state)?.delete(id);
        const c = this.counts.get(poolKey(previous));
        if (c) c[previous.state]--;
        if (previous.state === 'ready') {
          this.readyByType.get(previous.type)?.delete(id);
          this.readyByCloud.get(`${previous.type} ${previous.cloud}`)?.delete(id);
        }
      }
      if (next) {
        addTo(this.byState, next.state, id);
        let c = this.counts.get(poolKey(next));
        if (!c) this.counts.set(poolKey(next), (c = emptyCounts()));
        c[next.state]++;
        if (next.state === 'ready') {
          addTo(this.readyByType, next.type, id);
          addTo(this.readyByCloud, `${next.type} ${next.cloud}`, id);
        }
      }
    }
    if (moved((r) => r.user)) {
      if (previous?.user !== undefined) this.byUser.get(previous.user)?.delete(id);
      if (next?.user !== undefined) addTo(this.byUser, next.user, id);
    }
    for (const listener of this.listeners) listener(next, id);
  }

  /** Called after every change (a record, or undefined when deleted). */
  onChange(listener: (record: MachineRecord | undefined, id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): MachineRecord | undefined {
    return this.index.get(id)?.value;
  }

  /** Ready machines of a type, longest-ready first. */
  ready(type: string): Generator<MachineRecord> {
    return this.records(this.readyByType.get(type));
  }

  /** Ready machines of a type on one cloud, longest-ready first: the allocator reads the head, not the whole pool. */
  readyOn(type: string, cloud: string): Generator<MachineRecord> {
    return this.records(this.readyByCloud.get(`${type} ${cloud}`));
  }

  /** Machines in a state, in the order they entered it. */
  inState(state: State): Generator<MachineRecord> {
    return this.records(this.byState.get(state));
  }

  /** Machines a user holds or held (any state), for `machines.list` by user. */
  ofUser(user: string): Generator<MachineRecord> {
    return this.records(this.byUser.get(user));
  }

  /** Machines per state of the pool `type.cloud`. */
  countsOf(type: string, cloud: string): StateCounts {
    return { ...(this.counts.get(`${type}.${cloud}`) ?? emptyCounts()) };
  }

  all(): IterableIterator<MachineRecord> {
    return this.index.values();
  }

  get size(): number {
    return this.index.size;
  }

  private *records(ids: Set<string> | undefined): Generator<MachineRecord> {
    if (!ids) return;
    // a live view: a Set iterates safely while it changes (ids removed are skipped, ids added
    // are visited), and copying it would cost the pool's size on every allocation
    for (const id of ids) {
      const record = this.index.get(id)?.value;
      if (record) yield record;
    }
  }

  /** Writes a new record. @throws HearthError KV_CONFLICT when the id exists. */
  async create(record: MachineRecord): Promise<MachineRecord> {
    const revision = await this.index.typed.create(record.id, record);
    this.index.apply({ key: record.id, value: record, revision });
    return record;
  }

  /**
   * Compare-and-set: `change` gets the current record and returns the next one, or
   * undefined to give up (the record is no longer in a state the caller can act on). On a
   * lost race it re-reads and asks `change` again, up to `attempts` times.
   * @returns the written record, or undefined when `change` gave up or the record is gone
   */
  async update(id: string, change: (current: MachineRecord) => MachineRecord | undefined, attempts = 5): Promise<MachineRecord | undefined> {
    let cached = this.index.get(id);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (!cached) return undefined;
      const next = change(cached.value);
      if (!next) return undefined;
      next.updatedAt = Date.now();
      try {
        const revision = await this.index.typed.update(id, next, cached.revision);
        this.index.apply({ key: id, value: next, revision });
        return next;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // someone else wrote first: decide again on what is there now
        cached = await this.index.typed.get(id);
        if (cached) this.index.apply(cached);
      }
    }
    throw new HearthError('CONFLICT', `updating machine ${id}: still contended after ${attempts} attempts`);
  }

  /** Deletes the record (the machine is gone). */
  async remove(id: string): Promise<void> {
    await this.index.typed.delete(id);
    this.index.applyDelete(id);
  }

  stop(): void {
    this.index.stop();
    this.listeners.clear();
  }
}

const poolKey = (record: MachineRecord): string => `${record.type}.${record.cloud}`;

function addTo<K>(index: Map<K, Set<string>>, key: K, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}
