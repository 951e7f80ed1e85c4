import type { Engine } from '../engine.js';
import type { Reconciler } from './reconciler.js';

/**
 * Runs the reconcilers one after another: on a timer, and soon after a kick (a machine
 * taken, a request queued). Kicks during a pass coalesce into one more pass. A reconciler
 * that asks to be requeued sooner gets the next pass sooner.
 */
export class Controller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Duration of the last full pass, for benchmarks and status. */
  lastPassMs = 0;
  /** Passes begun since start, so tests can count passes instead of timing them. */
  passes = 0;

  constructor(
    private readonly engine: Engine,
    private readonly reconcilers: readonly Reconciler[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.kick();
  }

  /** Asks for a pass as soon as the current one (if any) ends. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** One pass of every reconciler; resolves when done. Tests and benchmarks call it directly. */
  async pass(): Promise<void> {
    let next = this.intervalMs;
    const started = performance.now();
    this.passes++;
    for (const reconciler of this.reconcilers) {
      const t0 = performance.now();
      try {
        const result = await reconciler.reconcile(this.engine);
        if (result.requeueAfterMs !== undefined) next = Math.min(next, result.requeueAfterMs);
      } catch (err) {
        this.engine.log.error({ err, reconciler: reconciler.name }, 'reconcile failed');
      } finally {
        this.engine.metrics.reconcileSeconds.observe({ reconciler: reconciler.name }, (performance.now() - t0) / 1000);
      }
    }
    this.lastPassMs = performance.now() - started;
    if (!this.stopped) this.timer = setTimeout(() => this.kick(), next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const reconciler of this.reconcilers) await reconciler.drain?.();
  }
}
