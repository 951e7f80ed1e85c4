import type { Engine } from '../engine.js';

/** One idempotent step of keeping pools right; reads state, writes with CAS, never sleeps. */
export interface Reconciler {
  /** Dotted name, in every log line and metric label: `pool.launch-deficit`. */
  readonly name: string;
  reconcile(engine: Engine): Promise<{ requeueAfterMs?: number }>;
  /** Waits for work the reconciler started outside a pass (cloud calls in flight). */
  drain?(): Promise<void>;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

/**
 * For loops over many records inside a pass: call the returned function once per item; every
 * `every` items it gives the event loop a turn (setImmediate), so requests waiting to be
 * answered (an allocation) are not held up for the whole walk over 50,000 machines.
 */
export function breather(every = 1_000): () => Promise<void> | undefined {
  let n = 0;
  return () => (++n % every === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined);
}
