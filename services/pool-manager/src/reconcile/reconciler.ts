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
 * Time slicing for loops over many records inside a pass: the loop asks `due()` once per item
 * and, when it says so, awaits `turn()`, which gives the event loop a turn (setImmediate) so
 * requests waiting to be answered (an allocation) are not held up for a whole walk over 50,000
 * machines. A slice is a time budget, not a count of items, since items cost anything from a
 * map lookup to building a cloud call. `due()` reads the clock only every 32nd item, and a loop
 * that awaits only when due costs no microtask per item.
 */
export class Breather {
  #since = performance.now();
  #items = 0;

  /** @param budgetMs how long the loop may hold the event loop between turns */
  constructor(private readonly budgetMs = 2) {}

  due(): boolean {
    if (++this.#items % 32 !== 0) return false;
    return performance.now() - this.#since >= this.budgetMs;
  }

  async turn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}
