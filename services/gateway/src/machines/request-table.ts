import { randomUUID } from 'node:crypto';
import { buckets, HearthError, onMachineEvents, openKv, publishMachineEvent, recordRequestEnd, request, RequestRecord, subjects, type Bus, type MachineEvent, type TypedKv } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import type { Machine, MachineRequest } from '../schemas.js';
import { listedMachine, servedMachine } from './machine-view.js';

/** A finished request stays readable this long (GET /api/v1/requests/:id). */
const keepFinishedMs = 15 * 60_000;

interface Entry {
  view: MachineRequest;
  user: string;
  /** Settles with the machine, or the allocation's error; set as the request is sent. */
  outcome?: Promise<Machine>;
  onQueued?: (position: number) => void;
  cancelling: boolean;
  /** The write of its queued record to KV; its end is written after it. */
  recorded?: Promise<unknown> | undefined;
}

export interface Submission {
  user: string;
  type: string;
  sshPublicKey: string;
  region?: string;
  /** The HTTP request id, carried to the pool manager's logs. */
  httpRequestId: string;
}

/** What POST /machines answers: the machine at once, or the queued request. */
export type Answer = { machine: Machine } | { request: MachineRequest & { state: 'queued'; position: number } };

/**
 * The machine requests this gateway has sent, in memory: a request the pool manager queues
 * goes on here after the HTTP reply (202), and its outcome is kept for GET /requests/:id
 * and published as a machine event, so every gateway's websockets see it. A queued request
 * is also written to KV `requests`, so every replica (and this one after a restart) can
 * answer GET and DELETE for it; the pool manager records how it ended there too, so the
 * record is right even when this gateway is gone.
 */
export class RequestTable {
  private readonly entries = new Map<string, Entry>();
  private unsubscribe: (() => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private kv: TypedKv<typeof RequestRecord> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly waitMs: number,
  ) {}

  /** Subscribes to machine events; resolves once the server has the subscription. */
  async start(): Promise<void> {
    this.kv = await openKv(this.bus, buckets.requests, RequestRecord);
    // only what changes a queued request's view; its end comes with the allocation's reply
    this.unsubscribe = onMachineEvents(this.bus, (event) => this.onEvent(event), ['queued', 'position', 'launching']);
    await this.bus.nc.flush();
  }

  stop(): void {
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * Sends `machines.allocate` and answers with whichever comes first: the reply (served) or
   * the `queued` event for this request. With `hold`, waits for the reply.
   * @throws HearthError from the pool manager when the request fails before it is queued
   *   (unknown type, service down), or, with `hold`, at all.
   */
  async submit(s: Submission, hold: boolean): Promise<Answer> {
    const id = randomUUID();
    const entry: Entry = { view: { id, type: s.type, state: 'queued' }, user: s.user, cancelling: false };
    const queued = new Promise<number>((resolve) => (entry.onQueued = resolve));
    // registered before sending: the queued event can arrive before request() returns
    this.entries.set(id, entry);
    const outcome = request(
      this.bus,
      subjects.machines.allocate,
      { type: s.type, user: s.user, sshPublicKey: s.sshPublicKey, waitMs: this.waitMs, requestId: id, ...(s.region ? { region: s.region } : {}) },
      { timeoutMs: this.waitMs + 10_000, requestId: s.httpRequestId },
    ).then(
      (reply) => this.served(entry, servedMachine(reply, s.user)),
      (err: unknown) => this.failed(entry, err),
    );
    entry.outcome = outcome;
    // the outcome is read through the table once queued; never an unhandled rejection
    outcome.catch(() => undefined);
    if (hold) return { machine: await outcome };
    const first = await Promise.race([outcome.then((machine) => ({ machine })), queued.then((position) => ({ position }))]);
    if ('machine' in first) return first;
    // readable by every replica before the 202 goes out (best effort: this one has it in memory)
    const now = Date.now();
    entry.recorded = this.kv?.create(id, { id, user: s.user, type: s.type, state: 'queued', createdAt: now, updatedAt: now }).catch((err: unknown) => {
      this.log.warn({ err, requestId: id }, 'recording the queued request failed; only this gateway knows it');
    });
    await entry.recorded;
    return { request: { id, type: s.type, state: 'queued', position: first.position } };
  }

  /** The request, when it is `user`'s (or `any` is set, for admins); undefined otherwise. */
  async get(id: string, user: string, any = false): Promise<MachineRequest | undefined> {
    const entry = this.entries.get(id);
    if (entry) return any || entry.user === user ? entry.view : undefined;
    const record = await this.record(id);
    if (!record || (!any && record.user !== user)) return undefined;
    const view: MachineRequest = { id, type: record.type, state: record.state, ...(record.error !== undefined ? { error: record.error } : {}) };
    if (record.state !== 'allocated' || !record.machineId) return view;
    // the machine as its user sees it, while it is still theirs
    const { machines } = await request(this.bus, subjects.machines.list, { user: record.user });
    const listed = machines.find((m) => m.id === record.machineId);
    const machine = listed ? listedMachine(listed) : undefined;
    return machine ? { ...view, machine } : view;
  }

  /** The KV record of a request another gateway (or this one before a restart) took. */
  private async record(id: string): Promise<RequestRecord | undefined> {
    if (!this.kv || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
    return (await this.kv.get(id))?.value;
  }

  /**
   * Writes the end of a queued request to KV, after its queued record (`after`); best effort:
   * a failure is logged. Resolves once written, for a caller that must answer after it.
   */
  private async recordEnd(id: string, end: Parameters<typeof recordRequestEnd>[2], after?: Promise<unknown>): Promise<void> {
    const kv = this.kv;
    if (!kv) return;
    await (after ?? Promise.resolve())
      .then(() => recordRequestEnd(kv, id, end))
      .catch((err: unknown) => this.log.warn({ err, requestId: id }, 'recording the end of a queued request failed'));
  }

  /**
   * Cancels a queued request of `user`.
   * @returns 'cancelled', 'unknown' (no such request of theirs) or 'finished' (served or failed already)
   */
  async cancel(id: string, user: string, any = false): Promise<'cancelled' | 'unknown' | 'finished'> {
    const entry = this.entries.get(id);
    if (!entry) return this.cancelElsewhere(id, user, any);
    if (!any && entry.user !== user) return 'unknown';
    if (entry.view.state !== 'queued') return 'finished';
    entry.cancelling = true;
    const { cancelled } = await request(this.bus, subjects.machines.cancel, { requestId: id });
    if (!cancelled) {
      entry.cancelling = false;
      return 'finished';
    }
    // the allocation rejects with the cancellation; wait so a GET right after sees it
    await entry.outcome?.catch(() => undefined);
    return 'cancelled';
  }

  /** Cancels a queued request another gateway took (or this one, before a restart). */
  private async cancelElsewhere(id: string, user: string, any: boolean): Promise<'cancelled' | 'unknown' | 'finished'> {
    const record = await this.record(id);
    if (!record || (!any && record.user !== user)) return 'unknown';
    if (record.state !== 'queued') return 'finished';
    const { cancelled } = await request(this.bus, subjects.machines.cancel, { requestId: id });
    if (!cancelled) return 'finished';
    // the pool manager records the end as well; whichever writes first wins. Awaited, so a GET
    // right after the 204, on any gateway, finds the request ended
    await this.recordEnd(id, { state: 'cancelled', error: 'cancelled' });
    return 'cancelled';
  }

  private onEvent(event: MachineEvent): void {
    if (!event.requestId) return;
    const entry = this.entries.get(event.requestId);
    if (!entry || entry.view.state !== 'queued') return;
    if ((event.kind === 'queued' || event.kind === 'position') && event.position !== undefined) {
      entry.view = { ...entry.view, position: event.position };
      if (event.kind === 'queued') entry.onQueued?.(event.position);
    }
    if (event.kind === 'launching' && event.machineId) entry.view = { ...entry.view, launching: event.machineId };
  }

  private served(entry: Entry, machine: Machine): Machine {
    const { position, launching: _launching, ...view } = entry.view;
    entry.view = { ...view, state: 'allocated', machine };
    if (position !== undefined) void this.recordEnd(view.id, { state: 'allocated', machineId: machine.id }, entry.recorded);
    // served at once: the 201 carries the machine and no request id, so there is nothing to look up later
    if (position === undefined) this.entries.delete(view.id);
    else this.forgetLater(view.id);
    return machine;
  }

  private failed(entry: Entry, err: unknown): never {
    const wasQueued = entry.view.position !== undefined;
    const { position: _position, launching: _launching, ...view } = entry.view;
    const message = err instanceof HearthError ? err.message : 'internal error';
    // cancelled here, or through another gateway (the pool manager's CONFLICT names the request)
    const cancelled = entry.cancelling || (err instanceof HearthError && err.code === 'CONFLICT' && err.details?.['requestId'] === view.id);
    const state = cancelled ? 'cancelled' : 'failed';
    entry.view = { ...view, state, error: message };
    if (wasQueued) {
      void this.recordEnd(view.id, { state, error: message }, entry.recorded);
      // the pool manager announces allocations; a queued request that ends otherwise is announced here
      publishMachineEvent(this.bus, {
        kind: 'failed',
        at: Date.now(),
        requestId: view.id,
        type: view.type,
        user: entry.user,
        reason: cancelled ? 'cancelled' : message,
      });
      this.log.info({ requestId: view.id, user: entry.user, state: entry.view.state, reason: message }, 'queued machine request ended without a machine');
      this.forgetLater(view.id);
    } else {
      // failed before it was queued: the HTTP reply carries the error, nothing to keep
      this.entries.delete(view.id);
    }
    throw err;
  }

  private forgetLater(id: string): void {
    const timer = setTimeout(() => {
      this.entries.delete(id);
      this.timers.delete(timer);
    }, keepFinishedMs);
    timer.unref();
    this.timers.add(timer);
  }
}
