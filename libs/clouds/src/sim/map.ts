import { InstanceState, type Instance } from '../driver.js';

/** What the sim cloud keeps per instance; state is derived from the timestamps when read. */
export interface SimRecord {
  readonly id: string;
  /** The `hearth:installation` tag, indexed so list() touches only this installation's instances. */
  installation: string | undefined;
  /** Frozen; tag() swaps in a new object, so callers may keep the one they were given. */
  tags: Readonly<Record<string, string>>;
  readonly image: string;
  readonly cpus: number;
  readonly memoryMb: number;
  readonly privateIp: string;
  readonly createdAtMs: number;
  /** When `pending` ends: the instance runs from then on, or is in `error` when it has a fault. */
  readonly bootedAtMs: number;
  /** Set at launch for an instance doomed to fail its boot. */
  readonly fault: string | undefined;
  /** Set by terminate; the record is dropped deleteTimeMs later. */
  deletingSinceMs: number | undefined;
}

/**
 * The sim cloud's own status for a record at `nowMs`, the way a real cloud's map.ts reads
 * a provider status: deleting wins, then pending until the boot time has passed, then
 * error (with the fault) or running.
 */
export function simState(record: SimRecord, nowMs: number): InstanceState {
  if (record.deletingSinceMs !== undefined) return InstanceState.Deleting;
  if (nowMs < record.bootedAtMs) return InstanceState.Pending;
  return record.fault === undefined ? InstanceState.Running : InstanceState.Error;
}

/**
 * The normalized view of a record at `nowMs`. The private address appears once the instance
 * has booted (as on clouds that fill it in during boot); a failed instance never has one.
 */
export function toInstance(record: SimRecord, nowMs: number): Instance {
  const state = simState(record, nowMs);
  const instance: Instance = { ref: { id: record.id }, state, tags: record.tags, createdAt: new Date(record.createdAtMs) };
  if (record.fault !== undefined) {
    if (nowMs >= record.bootedAtMs) instance.fault = record.fault;
  } else if (nowMs >= record.bootedAtMs) {
    instance.privateIp = record.privateIp;
  }
  return instance;
}

/** A fake, unique private address in 10.0.0.0/8 for the `sequence`-th instance (never reachable). */
export function simAddress(sequence: number): string {
  const n = sequence % 0x1000000;
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
