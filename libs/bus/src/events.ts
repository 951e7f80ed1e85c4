import { formatPath, schemaIssues } from '@hearth/config';
import type { Bus } from './connect.js';
import { HearthError } from './errors.js';
import { MachineEvent } from './schemas/machines.js';
import { UsageEvent, UsageMessage } from './schemas/usage.js';
import { streams } from './storage.js';
import { subjects } from './subjects.js';

function check(schema: typeof MachineEvent | typeof UsageEvent | typeof UsageMessage, value: unknown, what: string): void {
  const issues = schemaIssues(schema, value);
  if (issues.length > 0) {
    const text = issues.map((i) => `${formatPath(i.path) || '(root)'} ${i.message}`).join('; ');
    throw new HearthError('INTERNAL', `${what} does not match its schema: ${text}`);
  }
}

/** Publishes a live machine event on `hearth.machines.events.<kind>` (core NATS: live, not durable). */
export function publishMachineEvent(bus: Bus, event: MachineEvent): void {
  check(MachineEvent, event, 'machine event');
  bus.nc.publish(`${subjects.machines.eventPrefix}.${event.kind}`, JSON.stringify(event));
}

/**
 * Appends a usage record to the USAGE stream (`hearth.usage.<event>`) and resolves once the
 * stream has acknowledged it, so an acknowledged record is on disk. Records are batched per
 * connection: while one write is waiting for its acknowledgement, the records that arrive are
 * held and then written together, one message per kind (see UsageMessage). A record that finds
 * nothing in flight waits `usageLingerMs` for company: a warm allocation's `requested` and
 * `allocated` come 1–3 ms apart, and at a few hundred requests a second the records of several
 * requests then share one fsynced write instead of taking one each.
 */
export async function recordUsage(bus: Bus, event: UsageEvent): Promise<void> {
  check(UsageEvent, event, 'usage event');
  let writer = writers.get(bus);
  if (!writer) writers.set(bus, (writer = new UsageWriter(bus)));
  await writer.add(event);
}

/**
 * The records one USAGE stream message carries: a batch (UsageMessage), or one bare record as
 * written before batching.
 * @throws HearthError INVALID_REQUEST when the message is neither
 */
export function usageRecords(data: Uint8Array | string): UsageEvent[] {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HearthError('INVALID_REQUEST', 'usage message is not JSON', undefined, { cause: err });
  }
  const records = Array.isArray(value) ? value : [value];
  const issues = schemaIssues(UsageMessage, records);
  if (issues.length > 0) {
    throw new HearthError('INVALID_REQUEST', `usage message does not match its schema: ${issues.map((i) => `${formatPath(i.path) || '(root)'} ${i.message}`).join('; ')}`);
  }
  return records as UsageEvent[];
}

/** How long a record that finds no write under way waits for others to share its write. */
export const usageLingerMs = 10;
/** Most records in one usage message (a few hundred bytes each: far below max_payload). */
const maxRecordsPerMessage = 256;
const writers = new WeakMap<Bus, UsageWriter>();

interface Held {
  event: UsageEvent;
  done: { resolve: () => void; reject: (err: unknown) => void };
}

/** One connection's usage writes: at most one round of publishes in flight; what arrives meanwhile waits for the next. */
class UsageWriter {
  private held: Held[] = [];
  private writing = false;

  constructor(private readonly bus: Bus) {}

  add(event: UsageEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.held.push({ event, done: { resolve, reject } });
      if (!this.writing) void this.write();
    });
  }

  /** Writes everything held, one message per kind (and per maxRecordsPerMessage), then what arrived meanwhile. */
  private async write(): Promise<void> {
    this.writing = true;
    await new Promise((resolve) => setTimeout(resolve, usageLingerMs));
    while (this.held.length > 0) {
      const round = this.held;
      this.held = [];
      // kinds in order of first appearance; records keep their order within a kind
      const byKind = new Map<string, Held[]>();
      for (const held of round) {
        let group = byKind.get(held.event.event);
        if (!group) byKind.set(held.event.event, (group = []));
        group.push(held);
      }
      const publishes: Promise<void>[] = [];
      for (const [kind, group] of byKind) {
        for (let i = 0; i < group.length; i += maxRecordsPerMessage) {
          const chunk = group.slice(i, i + maxRecordsPerMessage);
          publishes.push(
            this.bus.js.publish(`${subjects.usage.prefix}.${kind}`, JSON.stringify(chunk.map((h) => h.event))).then(
              () => chunk.forEach((h) => h.done.resolve()),
              (err: unknown) => chunk.forEach((h) => h.done.reject(err)),
            ),
          );
        }
      }
      await Promise.all(publishes);
    }
    this.writing = false;
  }
}

/**
 * Calls `handler` with every valid machine event, or only those of `kinds` (each kind is its
 * own subject, so the others are never sent here: a warm allocation's `allocated` event costs
 * a subscriber that wants only queue positions nothing). Invalid ones are dropped. Returns an
 * unsubscribe.
 */
export function onMachineEvents(bus: Bus, handler: (event: MachineEvent) => void, kinds?: readonly MachineEvent['kind'][]): () => void {
  const callback = (err: Error | null, msg: { json(): unknown }): void => {
    if (err) return;
    try {
      const value: unknown = msg.json();
      if (schemaIssues(MachineEvent, value).length === 0) handler(value as MachineEvent);
    } catch {
      // not JSON: not ours
    }
  };
  const subs = (kinds ? kinds.map((kind) => `${subjects.machines.eventPrefix}.${kind}`) : [subjects.machines.events]).map((subject) => bus.nc.subscribe(subject, { callback }));
  return () => subs.forEach((sub) => sub.unsubscribe());
}

/**
 * The newest `limit` usage records of the USAGE stream, newest first, read backwards from
 * the stream's last message (each message holds one or more records). Messages that are
 * gone or unreadable are skipped. Costs one read per message.
 */
export async function latestUsage(bus: Bus, limit: number): Promise<UsageEvent[]> {
  const jsm = await bus.jsm();
  const { state } = await jsm.streams.info(streams.usage.name);
  const out: UsageEvent[] = [];
  for (let seq = state.last_seq; seq >= state.first_seq && seq > 0 && out.length < limit; seq--) {
    const msg = await jsm.streams.getMessage(streams.usage.name, { seq }).catch(() => undefined);
    if (!msg) continue;
    try {
      out.push(...usageRecords(msg.data).reverse());
    } catch {
      // not a usage message: nothing to show
    }
  }
  return out.slice(0, limit);
}
