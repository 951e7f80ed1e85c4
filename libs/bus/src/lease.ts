import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '@hearth/log';
import type { Bus } from './connect.js';
import { isConflict, openKv, type TypedKv } from './kv.js';
import { LeaseRecord } from './schemas/leases.js';
import { buckets } from './storage.js';

export type LeaseRole = 'leader' | 'standby';

export interface LeaseOptions {
  /** The job: the key in KV `leases`, e.g. `pool-manager`. */
  name: string;
  /** This process, e.g. its service instance id. */
  holder: string;
  /** How long a lease nobody renews stays its holder's. */
  ttlMs: number;
  log: Logger;
  /** Called on every change of role, in order, after the change is stored. */
  onRole(role: LeaseRole, reason: string): void;
}

/** A holder steps down after this share of the ttl without a renewal, before any candidate may take over. */
const stepDownShare = 0.8;

/**
 * One replica at a time: campaigns for a KV lease and keeps it while it can renew it.
 *
 * Judged without trusting clocks across hosts: a candidate takes a lease over only after it
 * has seen the same revision for `ttlMs` on its own monotonic clock, and a holder steps
 * down after 0.8 × `ttlMs` without a successful renewal, counted from when that renewal
 * was sent, so the two never overlap while clocks run at the same rate. A holder on this
 * host whose process is gone (same boot and pid namespace, pid not running) is taken over
 * at once, so a supervised restart after a crash does not wait out the ttl.
 */
export class Lease {
  #kv: TypedKv<typeof LeaseRecord> | undefined;
  #role: LeaseRole = 'standby';
  /** Our record's revision while we hold it. */
  #revision = 0;
  #record: LeaseRecord | undefined;
  /** The last record seen of another holder, and since when (monotonic ms) at that revision. */
  #seen: { record: LeaseRecord; revision: number; since: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  /** When the holder steps down without a renewal (monotonic ms). */
  #deadlineAt = 0;
  #tick: Promise<void> | undefined;
  #again = false;
  /** No campaigning before this (monotonic ms): after handing the lease back. */
  #quietUntil = 0;
  #stopWatch: () => void = () => undefined;
  #stopped = false;
  readonly #marker = processMarker();
  readonly intervalMs: number;

  constructor(
    private readonly bus: Bus,
    private readonly opts: LeaseOptions,
  ) {
    this.intervalMs = Math.min(2_000, Math.max(50, Math.round(opts.ttlMs / 5)));
  }

  get role(): LeaseRole {
    return this.#role;
  }

  /** Who holds the lease as last seen: this process while it leads, else the other holder, if any. */
  get holder(): LeaseRecord | undefined {
    return this.#role === 'leader' ? this.#record : this.#seen?.record;
  }

  /** Makes the first attempt, then goes on in the background. */
  async start(): Promise<void> {
    this.#kv = await openKv(this.bus, buckets.leases, LeaseRecord);
    // a lease handed back is taken at once, not at the next tick
    const watch = await this.#kv.kv.watch({ key: this.opts.name, include: KvWatchInclude.UpdatesOnly });
    this.#stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT' && this.#role === 'standby' && !this.#stopped) this.#now();
      }
    })().catch(() => undefined);
    await this.#runTick();
  }

  /** A tick now: at once when none is running, else right after the running one. */
  #now(): void {
    if (this.#tick) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    void this.#runTick();
  }

  /** Stops campaigning and, when leading, hands the lease back so a standby need not wait out the ttl. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopWatch();
    clearTimeout(this.#timer);
    await this.#tick;
    clearTimeout(this.#timer);
    clearTimeout(this.#deadline);
    if (this.#role !== 'leader') return;
    await this.#handBack(this.#revision);
    this.#setRole('standby', 'stopped');
  }

  /**
   * Hands the lease back while this process keeps running (it could not do the job), and
   * leaves it to the other replicas for `cooldownMs` before campaigning again.
   */
  async release(reason: string, cooldownMs: number): Promise<void> {
    await this.#tick;
    this.#quietUntil = performance.now() + cooldownMs;
    if (this.#role !== 'leader') return;
    const revision = this.#revision;
    this.#lose(reason);
    await this.#handBack(revision);
  }

  /** Deletes our record (only if still at `revision`), so a standby takes over without waiting out the ttl. */
  async #handBack(revision: number): Promise<void> {
    await this.#kv?.delete(this.opts.name, revision).catch((err: unknown) => {
      this.opts.log.warn({ err, lease: this.opts.name }, 'lease not handed back; a standby takes over when it expires');
    });
  }

  #runTick(): Promise<void> {
    let failed = false;
    this.#tick = (this.#role === 'leader' ? this.#renew() : this.#campaign())
      .catch((err: unknown) => {
        failed = true;
        this.opts.log.warn({ err, lease: this.opts.name, role: this.#role }, 'lease check failed; trying again');
      })
      .finally(() => {
        this.#tick = undefined;
        if (this.#stopped) return;
        const again = this.#again;
        this.#again = false;
        // a failed renewal is tried again soon: the step-down deadline is running
        this.#timer = setTimeout(() => void this.#runTick(), again ? 0 : failed ? Math.max(25, this.intervalMs / 4) : this.intervalMs);
      });
    return this.#tick;
  }

  /**
   * One KV call, given up on after `ms` (a quarter of the ttl unless said): a reply that does
   * not come is tried again rather than waited for.
   */
  #bounded<T>(call: Promise<T>, ms = Math.max(50, this.opts.ttlMs / 4)): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lease ${this.opts.name}: no answer from KV within ${Math.round(ms)} ms`)), ms);
    });
    call.catch(() => undefined);
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }

  async #campaign(): Promise<void> {
    if (performance.now() < this.#quietUntil) return;
    const kv = this.#kv as TypedKv<typeof LeaseRecord>;
    // a slow KV only delays a candidate: it may take up to half the ttl
    const current = await this.#bounded(kv.get(this.opts.name), Math.max(50, this.opts.ttlMs / 2));
    const sent = performance.now();
    if (!current) {
      await this.#take(() => kv.create(this.opts.name, this.#mine(Date.now())), sent, 'the lease was free');
      return;
    }
    const other = current.value;
    if (this.#seen?.revision !== current.revision) this.#seen = { record: other, revision: current.revision, since: sent };
    let reason: string | undefined;
    // this process stepped down for want of a renewal that landed after all: nobody took it since
    if (other.holder === this.opts.holder) reason = 'it was still ours';
    else if (this.#gone(other)) reason = `its holder ${other.holder} (pid ${other.pid} on this host) is gone`;
    else if (sent - this.#seen.since >= other.ttlMs) reason = `its holder ${other.holder} on ${other.host} did not renew it for ${Math.round(sent - this.#seen.since)} ms`;
    if (reason) await this.#take(() => kv.update(this.opts.name, this.#mine(Date.now()), current.revision), sent, reason);
  }

  async #take(write: () => Promise<number>, sent: number, reason: string): Promise<void> {
    try {
      this.#revision = await this.#bounded(write());
    } catch (err) {
      // another candidate or the holder wrote first: look again next tick
      if (isConflict(err)) return;
      throw err;
    }
    if (this.#stopped) {
      await this.#handBack(this.#revision);
      return;
    }
    this.#seen = undefined;
    this.#armDeadline(sent);
    this.#setRole('leader', reason);
  }

  async #renew(): Promise<void> {
    const kv = this.#kv as TypedKv<typeof LeaseRecord>;
    const record = this.#record as LeaseRecord;
    const sent = performance.now();
    try {
      // a slow reply is waited for as long as the deadline allows, and tried again if it never comes
      this.#revision = await this.#bounded(kv.update(this.opts.name, { ...record, renewedAt: Date.now() }, this.#revision), Math.max(50, this.#deadlineAt - sent));
    } catch (err) {
      if (!isConflict(err)) throw err;
      // unknown holder (KV slow again): look again at the next tick rather than give up the lease
      const now = await this.#bounded(kv.get(this.opts.name));
      if (now?.value.holder === this.opts.holder) {
        // an earlier renewal that seemed to fail (a timeout) did land: the lease is still ours; renew again at once
        this.#revision = now.revision;
        this.#again = true;
        return;
      }
      if (now) this.#seen = { record: now.value, revision: now.revision, since: performance.now() };
      this.#lose(now ? `taken over by ${now.value.holder} on ${now.value.host}` : 'deleted by someone else');
      return;
    }
    if (this.#role === 'leader') this.#armDeadline(sent);
  }

  #armDeadline(sent: number): void {
    clearTimeout(this.#deadline);
    if (this.#stopped) return;
    this.#deadlineAt = sent + this.opts.ttlMs * stepDownShare;
    const left = this.#deadlineAt - performance.now();
    this.#deadline = setTimeout(() => this.#lose(`not renewed for ${Math.round(this.opts.ttlMs * stepDownShare)} ms`), Math.max(0, left));
  }

  #lose(reason: string): void {
    if (this.#role !== 'leader') return;
    clearTimeout(this.#deadline);
    this.#revision = 0;
    this.#setRole('standby', reason);
  }

  #setRole(role: LeaseRole, reason: string): void {
    this.#role = role;
    const log = { lease: this.opts.name, holder: this.opts.holder, reason };
    if (role === 'leader') this.opts.log.info(log, 'lease acquired: leading');
    else if (this.#stopped) this.opts.log.info(log, 'lease handed back');
    else this.opts.log.warn(log, 'lease lost: standing by');
    this.opts.onRole(role, reason);
  }

  #mine(now: number): LeaseRecord {
    this.#record = { holder: this.opts.holder, host: hostname(), pid: process.pid, process: this.#marker, ttlMs: Math.round(this.opts.ttlMs), acquiredAt: now, renewedAt: now };
    return this.#record;
  }

  /** The holder ran on this host, in this pid namespace, since this boot, and its pid is not running. */
  #gone(other: LeaseRecord): boolean {
    if (other.host !== hostname() || other.process === '' || other.process !== this.#marker) return false;
    if (other.pid === process.pid) return false;
    try {
      process.kill(other.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
}

/** `<boot id> <pid namespace>` on Linux, else empty (then a dead holder is waited out). */
function processMarker(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    return `${boot} ${pidNamespace}`;
  } catch {
    return '';
  }
}
