import { describe, expect, it } from 'vitest';
import type { HealthReport } from '@hearth/bus';
import { serviceLine } from './status.js';

const child = { name: 'pool-manager', pid: 4242, state: 'running' as const, restarts: 0, since: '2026-12-05T12:00:00.000Z' };
const report = (checks: HealthReport['checks']): HealthReport => ({
  name: 'pool-manager',
  id: 'i1',
  version: '0.1.0',
  healthy: checks.every((c) => c.ok),
  startedAt: '2026-12-05T12:00:00.000Z',
  uptimeMs: 1000,
  pid: 4242,
  host: 'h',
  checks,
});

describe('serviceLine', () => {
  it('names each failing check with its detail', () => {
    const line = serviceLine(child, [report([{ name: 'nats', ok: true }, { name: 'reconcile', ok: false, detail: 'last pass failed' }, { name: 'disk', ok: false }])]);
    expect(line).toMatchObject({ healthy: false, failing: ['reconcile: last pass failed', 'disk'] });
  });

  it('says a running service did not answer, unless NATS itself could not be asked', () => {
    expect(serviceLine(child, []).failing).toEqual(['no answer to the health check over NATS']);
    expect(serviceLine(child, undefined).failing).toBeUndefined();
    expect(serviceLine(child, [report([{ name: 'nats', ok: true }])])).not.toHaveProperty('failing');
  });
});
