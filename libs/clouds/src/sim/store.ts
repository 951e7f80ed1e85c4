import { OwnerTag } from '../driver.js';
import type { SimRecord } from './map.js';

/** Instances, cores and memory in use. */
export interface Usage {
  instances: number;
  cores: number;
  ramMb: number;
}

interface Deletion {
  record: SimRecord;
  goneAtMs: number;
}

/**
 * The sim cloud's account: every instance by id, an index by installation tag, running
 * totals of what is in use, and the queue of deletions still in progress. Every operation is
 * O(1) except reading an installation's instances, which is O(its size): no timers, no scans
 * of the whole account, so 50,000 instances cost only their memory.
 */
export class SimStore {
  readonly #byId = new Map<string, SimRecord>();
  readonly #byInstallation = new Map<string | undefined, Map<string, SimRecord>>();
  // one deletion time per cloud, so deletions finish in the order they started: a FIFO queue
  #deletions: Deletion[] = [];
  #deletionsHead = 0;
  readonly #used: Usage = { instances: 0, cores: 0, ramMb: 0 };
  #sequence = 0;

  /** The next instance number of this account (ids stay unique across drivers sharing it). */
  nextSequence(): number {
    this.#sequence += 1;
    return this.#sequence;
  }

  /** What is in use at `nowMs`; an instance counts until its deletion has finished. */
  used(nowMs: number): Usage {
    this.#purge(nowMs);
    return { ...this.#used };
  }

  add(record: SimRecord): void {
    this.#byId.set(record.id, record);
    this.#index(record);
    this.#used.instances += 1;
    this.#used.cores += record.cpus;
    this.#used.ramMb += record.memoryMb;
  }

  /** The record with this id, or undefined once its deletion has finished (or it never existed). */
  get(id: string, nowMs: number): SimRecord | undefined {
    this.#purge(nowMs);
    return this.#byId.get(id);
  }

  /** Every record tagged with this installation (a live view: do not change the store while iterating). */
  ofInstallation(installation: string, nowMs: number): Iterable<SimRecord> {
    this.#purge(nowMs);
    return this.#byInstallation.get(installation)?.values() ?? [];
  }

  /** Starts deleting a record; it is gone `deleteTimeMs` after `nowMs`. A second call changes nothing. */
  delete(record: SimRecord, nowMs: number, deleteTimeMs: number): void {
    if (record.deletingSinceMs !== undefined) return;
    record.deletingSinceMs = nowMs;
    this.#deletions.push({ record, goneAtMs: nowMs + deleteTimeMs });
    this.#purge(nowMs);
  }

  /** Replaces a record's tags, moving it to another installation's index when that tag changed. */
  retag(record: SimRecord, tags: Readonly<Record<string, string>>): void {
    this.#unindex(record);
    record.tags = Object.freeze({ ...tags });
    record.installation = tags[OwnerTag.Installation];
    this.#index(record);
  }

  #index(record: SimRecord): void {
    let group = this.#byInstallation.get(record.installation);
    if (!group) {
      group = new Map();
      this.#byInstallation.set(record.installation, group);
    }
    group.set(record.id, record);
  }

  #unindex(record: SimRecord): void {
    const group = this.#byInstallation.get(record.installation);
    group?.delete(record.id);
    if (group?.size === 0) this.#byInstallation.delete(record.installation);
  }

  #purge(nowMs: number): void {
    while (this.#deletionsHead < this.#deletions.length) {
      const next = this.#deletions[this.#deletionsHead];
      if (!next || next.goneAtMs > nowMs) break;
      this.#deletionsHead += 1;
      this.#byId.delete(next.record.id);
      this.#unindex(next.record);
      this.#used.instances -= 1;
      this.#used.cores -= next.record.cpus;
      this.#used.ramMb -= next.record.memoryMb;
    }
    // drop the finished prefix now and then, so the queue does not grow with every deletion ever made
    if (this.#deletionsHead > 1024 && this.#deletionsHead * 2 > this.#deletions.length) {
      this.#deletions = this.#deletions.slice(this.#deletionsHead);
      this.#deletionsHead = 0;
    }
  }
}
