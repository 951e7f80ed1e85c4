import type { CloudHealth, CloudStats } from '@hearth/bus';

/** The thresholds a cloud is judged by (poolManager.cloudDefaults / cloudOverrides). */
export interface HealthThresholds {
  errorRateDegraded: number;
  latencyDegradedMs: number;
  downAfterFailures: number;
  bootDegradedMs: number;
  healthWindowMs: number;
}

/** What the judgement is made from. */
export interface HealthEvidence {
  stats: CloudStats;
  failedCallsInRow: number;
  failedLaunchesInRow: number;
  lastError: string | undefined;
}

/** Fewer API calls than this in the window say nothing about the error rate. */
export const minCallsForRate = 5;

/**
 * Judges a cloud, most serious first:
 * - `down`: the last `downAfterFailures` API calls all failed, or the last
 *   `downAfterFailures` launches all failed (an error, or an instance that never booted);
 * - `degraded`: at least `errorRateDegraded` of the window's API calls failed (with at
 *   least 5 calls), or the API's p95 latency is at least `latencyDegradedMs`, or the median
 *   boot time is at least `bootDegradedMs`, or at least half the window's launches failed
 *   (of at least 4);
 * - `healthy` otherwise.
 * The reason says what was seen, in words an admin can act on. Pure.
 */
export function judgeHealth(evidence: HealthEvidence, t: HealthThresholds): { health: CloudHealth; reason?: string } {
  const { stats } = evidence;
  const window = formatMs(t.healthWindowMs);
  const last = evidence.lastError ? `: ${evidence.lastError}` : '';
  if (evidence.failedCallsInRow >= t.downAfterFailures) {
    return { health: 'down', reason: `the last ${evidence.failedCallsInRow} API calls failed${last}` };
  }
  if (evidence.failedLaunchesInRow >= t.downAfterFailures) {
    return { health: 'down', reason: `the last ${evidence.failedLaunchesInRow} launches failed${last}` };
  }
  if (stats.apiCalls >= minCallsForRate && stats.apiErrors / stats.apiCalls >= t.errorRateDegraded) {
    return { health: 'degraded', reason: `${stats.apiErrors} of ${stats.apiCalls} API calls failed in the last ${window}${last}` };
  }
  if (stats.apiLatencyMsP95 !== undefined && stats.apiLatencyMsP95 >= t.latencyDegradedMs) {
    return { health: 'degraded', reason: `API p95 latency ${formatMs(stats.apiLatencyMsP95)} in the last ${window} (limit ${formatMs(t.latencyDegradedMs)})` };
  }
  if (stats.bootMsP50 !== undefined && stats.bootMsP50 >= t.bootDegradedMs) {
    return { health: 'degraded', reason: `median boot time ${formatMs(stats.bootMsP50)} in the last ${window} (limit ${formatMs(t.bootDegradedMs)})` };
  }
  if (stats.launches >= 4 && stats.launchFailures * 2 >= stats.launches) {
    return { health: 'degraded', reason: `${stats.launchFailures} of ${stats.launches} launches failed in the last ${window}${last}` };
  }
  return { health: 'healthy' };
}

/** 1500 → "1.5 s", 300000 → "5 min". */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${+(ms / 60_000).toFixed(1)} min`;
}
