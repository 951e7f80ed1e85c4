/**
 * Where a sim cloud gets its time. Instance state is computed from timestamps whenever it
 * is read, so no timer runs per instance; a benchmark can hold 50,000 instances and move
 * time forward by hand.
 */
export interface Clock {
  /** Milliseconds since the epoch (or since any fixed origin; only differences matter). */
  now(): number;
  /**
   * Resolves once `ms` have passed on this clock. Rejects with the signal's reason when the
   * signal aborts first (or was already aborted).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

interface Sleeper {
  wakeAtMs: number;
  resolve: () => void;
}

/**
 * Time that moves only when told to. Sleepers wake, in order of their wake time, when
 * `advance` or `set` passes it; until then they wait however long the test takes.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #sleepers: Sleeper[] = [];

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  /** Moves time forward by `ms` (>= 0) and wakes every sleeper now due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advancing a manual clock: expected ms >= 0, got ${ms}`);
    this.set(this.#nowMs + ms);
  }

  /** Moves time to `ms`, which may not lie in the past, and wakes every sleeper now due. */
  set(ms: number): void {
    if (ms < this.#nowMs) throw new RangeError(`setting a manual clock: ${ms} is before now (${this.#nowMs})`);
    this.#nowMs = ms;
    const due = this.#sleepers.filter((s) => s.wakeAtMs <= ms).sort((a, b) => a.wakeAtMs - b.wakeAtMs);
    if (due.length === 0) return;
    this.#sleepers = this.#sleepers.filter((s) => s.wakeAtMs > ms);
    for (const sleeper of due) sleeper.resolve();
  }

  /** How many sleepers wait for time to move; tests use it to know a call is in flight. */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (ms <= 0) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        wakeAtMs: this.#nowMs + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
