import { describe, expect, it } from 'vitest';
import type { CloudStats } from '@hearth/bus';
import { formatMs, judgeHealth, type HealthEvidence, type HealthThresholds } from './health-score.js';

const t: HealthThresholds = { errorRateDegraded: 0.2, latencyDegradedMs: 5_000, downAfterFailures: 3, bootDegradedMs: 600_000, healthWindowMs: 300_000 };
const stats = (s: Partial<CloudStats> = {}): CloudStats => ({ apiCalls: 0, apiErrors: 0, launches: 0, launchFailures: 0, ...s });
const evidence = (e: Partial<HealthEvidence> = {}): HealthEvidence => ({ stats: stats(), failedCallsInRow: 0, failedLaunchesInRow: 0, lastError: undefined, ...e });

describe('judgeHealth', () => {
  it('calls a quiet or good cloud healthy', () => {
    expect(judgeHealth(evidence(), t)).toEqual({ health: 'healthy' });
    expect(judgeHealth(evidence({ stats: stats({ apiCalls: 100, apiErrors: 5, apiLatencyMsP95: 300, launches: 10, launchFailures: 1 }) }), t)).toEqual({ health: 'healthy' });
  });

  it('calls a cloud down after consecutive API failures, with the last error as the reason', () => {
    expect(judgeHealth(evidence({ failedCallsInRow: 3, lastError: 'cloud unavailable' }), t)).toEqual({ health: 'down', reason: 'the last 3 API calls failed: cloud unavailable' });
    expect(judgeHealth(evidence({ failedCallsInRow: 2 }), t).health).toBe('healthy');
  });

  it('calls a cloud down after consecutive failed launches', () => {
    expect(judgeHealth(evidence({ failedLaunchesInRow: 3, lastError: 'no valid host' }), t)).toEqual({ health: 'down', reason: 'the last 3 launches failed: no valid host' });
  });

  it('calls a cloud degraded for its error rate only with enough calls', () => {
    expect(judgeHealth(evidence({ stats: stats({ apiCalls: 10, apiErrors: 2 }) }), t)).toMatchObject({ health: 'degraded', reason: '2 of 10 API calls failed in the last 5 min' });
    expect(judgeHealth(evidence({ stats: stats({ apiCalls: 4, apiErrors: 2 }) }), t).health).toBe('healthy');
  });

  it('calls a cloud degraded for slow API calls, slow boots or failing launches', () => {
    expect(judgeHealth(evidence({ stats: stats({ apiCalls: 3, apiLatencyMsP95: 6_200 }) }), t)).toEqual({ health: 'degraded', reason: 'API p95 latency 6.2 s in the last 5 min (limit 5 s)' });
    expect(judgeHealth(evidence({ stats: stats({ bootMsP50: 900_000 }) }), t).reason).toBe('median boot time 15 min in the last 5 min (limit 10 min)');
    expect(judgeHealth(evidence({ stats: stats({ launches: 4, launchFailures: 2 }) }), t).health).toBe('degraded');
    expect(judgeHealth(evidence({ stats: stats({ launches: 3, launchFailures: 2 }) }), t).health).toBe('healthy');
  });

  it('formats durations for people', () => {
    expect([formatMs(250), formatMs(1_500), formatMs(300_000)]).toEqual(['250 ms', '1.5 s', '5 min']);
  });
});
