import { recordRequestEnd, type AllocateRequest, type RequestRecord, type TypedKv } from '@hearth/bus';
import type { Logger } from '@hearth/log';

/** A request waiting for a ready machine of its type. */
export interface Waiter {
  requestId: string;
  request: AllocateRequest;
  enqueuedAt: number;
  /** Hands the waiter a chance to allocate; resolves the caller's wait. */
  wake: () => void;
  /** Ends the wait with an error (deadline, cancel). */
  fail: (err: Error) => void;
  /** The machine being launched on this waiter's behalf (announced to its user), if any. */
  launch?: string;
}

/**
 * Per-type FIFO queues of requests that found nothing ready. When a machine of a type
 * becomes ready, the oldest waiter of that type is woken first.
 */
export class RequestQueue {
  private readonly queues = new Map<string, Waiter[]>();

  add(waiter: Waiter): number {
    let queue = this.queues.get(waiter.request.type);
    if (!queue) this.queues.set(waiter.request.type, (queue = []));
    queue.push(waiter);
    return queue.length;
  }

  remove(requestId: string): Waiter | undefined {
    for (const queue of this.queues.values()) {
      const index = queue.findIndex((w) => w.requestId === requestId);
      if (index >= 0) return queue.splice(index, 1)[0];
    }
    return undefined;
  }

  /** Takes the oldest waiter of a type (optionally only one that accepts `region`). */
  next(type: string, region?: string): Waiter | undefined {
    const queue = this.queues.get(type);
    if (!queue) return undefined;
    const index = queue.findIndex((w) => w.request.region === undefined || w.request.region === region);
    return index >= 0 ? queue.splice(index, 1)[0] : undefined;
  }

  /** Puts a waiter back at the head (it was woken but lost the machine to a race); returns 1. */
  requeue(waiter: Waiter): number {
    let queue = this.queues.get(waiter.request.type);
    if (!queue) this.queues.set(waiter.request.type, (queue = []));
    queue.unshift(waiter);
    return 1;
  }

  /**
   * Names the oldest waiter of a type that has no launch yet (and accepts `region`) as the one
   * a new machine is launched for; undefined when every waiter has one. FIFO holds either way:
   * the machine goes to whoever is first when it is ready. This only tells people what is
   * under way for them.
   */
  assignLaunch(type: string, region: string, machineId: string): Waiter | undefined {
    const waiter = this.queues.get(type)?.find((w) => w.launch === undefined && (w.request.region === undefined || w.request.region === region));
    if (waiter) waiter.launch = machineId;
    return waiter;
  }

  /** Forgets a launch that will not bring a machine (it failed): the next launch is announced to its waiter instead. */
  unassign(machineId: string): void {
    const waiter = this.launchedFor(machineId);
    if (waiter) delete waiter.launch;
  }

  /** The waiter a machine is being launched for, if it still waits. */
  launchedFor(machineId: string): Waiter | undefined {
    for (const queue of this.queues.values()) {
      const waiter = queue.find((w) => w.launch === machineId);
      if (waiter) return waiter;
    }
    return undefined;
  }

  length(type: string): number {
    return this.queues.get(type)?.length ?? 0;
  }

  /** Positions (1-based) of every waiter of a type, for position events. */
  positions(type: string): { requestId: string; position: number; user: string }[] {
    return (this.queues.get(type) ?? []).map((w, i) => ({ requestId: w.requestId, position: i + 1, user: w.request.user }));
  }

  all(): Waiter[] {
    return [...this.queues.values()].flat();
  }
}

const endBatch = 64;

/**
 * When a replica takes over, no request waits here yet: a record still `queued` in KV is one
 * the last leader held when it died (a stop ends its waiters and records that). It is ended
 * as failed, so GET /requests/:id says so instead of "queued" until the record expires. Only
 * the replica taking over does this, and it stops as soon as `stillLeading` says it lost the lease.
 * @returns how many were ended
 */
export async function endRequestsLeftQueued(kv: TypedKv<typeof RequestRecord>, log: Logger, stillLeading: () => boolean = () => true): Promise<number> {
  let ended = 0;
  const ids = await kv.keys();
  // read a batch at a time: a takeover should not wait on one round trip per record
  for (let at = 0; at < ids.length; at += endBatch) {
    // a replica that lost the lease meanwhile must not end the new leader's queued requests
    if (!stillLeading()) break;
    const done = await Promise.all(
      ids.slice(at, at + endBatch).map(async (id) => {
        const record = await kv.get(id).catch(() => undefined);
        if (record?.value.state !== 'queued') return false;
        return recordRequestEnd(kv, id, { state: 'failed', error: 'the pool manager restarted while the request waited; request a machine again' }, record);
      }),
    );
    ended += done.filter(Boolean).length;
  }
  if (ended > 0) log.warn({ requests: ended }, 'queued requests of the previous process ended as failed');
  return ended;
}
