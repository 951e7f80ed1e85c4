import type { CloudStats } from '@hearth/bus';

interface Sample {
  at: number;
  ok: boolean;
  ms: number;
}

/** Samples kept per series (up to a quarter more between trims), so a busy cloud's window stays small. */
const maxSamples = 2_000;

/**
 * What cloud health is judged from: driver API calls (ok or failed, and how long they
 * took), launch outcomes and boot times, over a sliding window. Consecutive failures are
 * counted too, so a cloud that stops answering is seen at once, whatever its history.
 */
export class HealthWindow {
  private calls: Sample[] = [];
  private launches: Sample[] = [];
  private boots: Sample[] = [];
  /** API calls failed in a row (a success resets it). */
  failedCallsInRow = 0;
  /** Launches (or boots) failed in a row. */
  failedLaunchesInRow = 0;
  /** The last failure, in the cloud's own words: the reason an admin reads. */
  lastError: string | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  recordCall(ok: boolean, ms: number, error?: string): void {
    push(this.calls, { at: this.now(), ok, ms });
    this.failedCallsInRow = ok ? 0 : this.failedCallsInRow + 1;
    if (!ok && error) this.lastError = error;
  }

  recordLaunch(ok: boolean, error?: string): void {
    push(this.launches, { at: this.now(), ok, ms: 0 });
    this.failedLaunchesInRow = ok ? 0 : this.failedLaunchesInRow + 1;
    if (!ok && error) this.lastError = error;
  }

  recordBoot(ms: number): void {
    push(this.boots, { at: this.now(), ok: true, ms });
  }

  /** Forgets everything: a cloud that came back starts with a clean record. */
  reset(): void {
    this.calls = [];
    this.launches = [];
    this.boots = [];
    this.failedCallsInRow = 0;
    this.failedLaunchesInRow = 0;
    this.lastError = undefined;
  }

  stats(): CloudStats {
    const since = this.now() - this.windowMs;
    for (const series of [this.calls, this.launches, this.boots]) {
      let drop = 0;
      while (drop < series.length && (series[drop] as Sample).at < since) drop++;
      series.splice(0, drop);
    }
    // judged on every reconcile pass (several a second while machines are taken): counted in
    // loops and sorted as typed arrays, without an array of numbers and a comparator per call
    const p95 = percentile(this.calls, 0.95);
    const p50 = percentile(this.boots, 0.5);
    return {
      apiCalls: this.calls.length,
      apiErrors: failures(this.calls),
      ...(p95 === undefined ? {} : { apiLatencyMsP95: Math.round(p95) }),
      launches: this.launches.length,
      launchFailures: failures(this.launches),
      ...(p50 === undefined ? {} : { bootMsP50: Math.round(p50) }),
    };
  }
}

function push(series: Sample[], sample: Sample): void {
  series.push(sample);
  // trimmed a quarter at a time: a splice per sample (one per allocation) was measurable
  if (series.length > maxSamples * 1.25) series.splice(0, series.length - maxSamples);
}

function failures(series: readonly Sample[]): number {
  let n = 0;
  for (const s of series) if (!s.ok) n++;
  return n;
}

/** The q-quantile of the samples' durations. */
function percentile(series: readonly Sample[], q: number): number | undefined {
  if (series.length === 0) return undefined;
  const sorted = new Float64Array(series.length);
  for (let i = 0; i < series.length; i++) sorted[i] = (series[i] as Sample).ms;
  sorted.sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
