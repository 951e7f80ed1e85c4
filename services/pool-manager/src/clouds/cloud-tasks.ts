import { setMaxListeners } from 'node:events';
import type { Logger } from '@hearth/log';

/**
 * One cloud's calls that run outside reconcile passes: a pass starts them and moves on,
 * so a slow cloud never holds up a pass, the other clouds, or allocation. One task per key
 * at a time (a machine's describe, the cloud's sweep, probe or quota read); a key still
 * running is not started again. Reads get the tasks' abort signal, fired on stop.
 */
export class CloudTasks {
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly log: Logger) {
    // every call in flight listens to the one signal; many at once is normal, not a leak
    setMaxListeners(0, this.abort.signal);
  }

  /** Starts `task` under `key` unless one is running; never waits for it. @returns whether it started */
  start(key: string, task: (signal: AbortSignal) => Promise<void>): boolean {
    if (this.running.has(key) || this.abort.signal.aborted) return false;
    const run = task(this.abort.signal)
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted) this.log.warn({ err, task: key }, 'cloud task failed');
      })
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
    return true;
  }

  busy(key: string): boolean {
    return this.running.has(key);
  }

  /** Tasks running now. */
  get size(): number {
    return this.running.size;
  }

  /** Aborts what listens to the signal and waits for every task to end. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('the pool manager is stopping'));
    await Promise.all([...this.running.values()]);
  }
}
