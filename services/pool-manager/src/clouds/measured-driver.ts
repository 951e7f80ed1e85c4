import {
  AbortedError,
  CapacityError,
  CloudError,
  InvalidSpecError,
  QuotaExceededError,
  type CallOptions,
  type CloudDriver,
  type Instance,
  type InstanceRef,
  type LaunchSpec,
  type Quota,
} from '@hearth/clouds';
import type { PoolMetrics } from '../metrics.js';
import type { HealthWindow } from './health-window.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * Is this failure the cloud's API failing? Quota, capacity and a bad spec are answers the
 * cloud gave; an aborted call never reached it. Everything else (unavailable, auth,
 * anything unexpected) counts against the cloud's health.
 */
export function isApiFailure(err: unknown): boolean {
  return !(err instanceof QuotaExceededError || err instanceof CapacityError || err instanceof InvalidSpecError || err instanceof AbortedError);
}

/**
 * Wraps one cloud's driver so that every call, whoever makes it, waits for the cloud's own
 * API rate limit and is measured once, here: latency and outcome into the cloud's health
 * window and metrics, launch outcomes as launches. Errors pass through unchanged.
 */
export class MeasuredDriver implements CloudDriver {
  readonly kind: CloudDriver['kind'];
  readonly cloud: string;

  constructor(
    /** The driver itself (tests reach a sim cloud's fault controls through it). */
    readonly inner: CloudDriver,
    private readonly window: HealthWindow,
    private readonly bucket: TokenBucket,
    private readonly metrics: PoolMetrics,
  ) {
    this.kind = inner.kind;
    this.cloud = inner.cloud;
  }

  async launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef> {
    try {
      const ref = await this.call('launch', () => this.inner.launch(spec, opts), opts);
      this.window.recordLaunch(true);
      return ref;
    } catch (err) {
      // a full quota is not a failed launch: the cloud said no, clearly, and will again until room is made
      if (!(err instanceof QuotaExceededError || err instanceof InvalidSpecError || err instanceof AbortedError)) this.window.recordLaunch(false, message(err));
      throw err;
    }
  }

  describe(ref: InstanceRef, opts?: CallOptions): Promise<Instance | undefined> {
    return this.call('describe', () => this.inner.describe(ref, opts), opts);
  }

  list(opts?: CallOptions): Promise<Instance[]> {
    return this.call('list', () => this.inner.list(opts), opts);
  }

  terminate(ref: InstanceRef, opts?: CallOptions): Promise<void> {
    return this.call('terminate', () => this.inner.terminate(ref, opts), opts);
  }

  tag(ref: InstanceRef, tags: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void> {
    return this.call('tag', () => this.inner.tag(ref, tags, opts), opts);
  }

  quota(opts?: CallOptions): Promise<Quota> {
    return this.call('quota', () => this.inner.quota(opts), opts);
  }

  probe(opts?: CallOptions): Promise<void> {
    return this.call('probe', () => this.inner.probe(opts), opts);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async call<T>(name: string, fn: () => Promise<T>, opts: CallOptions | undefined): Promise<T> {
    await this.bucket.take(opts?.signal);
    const started = performance.now();
    try {
      const value = await fn();
      this.observe(name, started, true);
      return value;
    } catch (err) {
      const failed = isApiFailure(err);
      this.observe(name, started, !failed, failed ? message(err) : undefined);
      if (failed) this.metrics.cloudApiErrors.inc({ cloud: this.cloud, call: name });
      throw err;
    }
  }

  private observe(name: string, started: number, ok: boolean, error?: string): void {
    const ms = performance.now() - started;
    this.window.recordCall(ok, ms, error);
    this.metrics.cloudApiSeconds.observe({ cloud: this.cloud, call: name }, ms / 1000);
  }
}

function message(err: unknown): string {
  return err instanceof CloudError || err instanceof Error ? err.message : String(err);
}
