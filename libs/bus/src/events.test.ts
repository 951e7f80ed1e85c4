import { describe, expect, it } from 'vitest';
import { HearthError } from './errors.js';
import { usageRecords } from './events.js';
import type { UsageEvent } from './schemas/usage.js';

const requested: UsageEvent = { event: 'requested', at: 1, installation: 'i', type: 'analysis', user: 'ada', requestId: 'r1' };
const allocated: UsageEvent = { event: 'allocated', at: 2, installation: 'i', type: 'analysis', user: 'ada', requestId: 'r1', waitMs: 1, warm: true };

describe('usageRecords', () => {
  it('reads a batch in order', () => {
    expect(usageRecords(JSON.stringify([requested, { ...requested, requestId: 'r2' }]))).toEqual([requested, { ...requested, requestId: 'r2' }]);
  });

  it('reads one bare record, as written before batching', () => {
    expect(usageRecords(new TextEncoder().encode(JSON.stringify(allocated)))).toEqual([allocated]);
  });

  it('refuses an empty batch, a record that breaks the schema, and what is not JSON', () => {
    expect(() => usageRecords('[]')).toThrow(HearthError);
    expect(() => usageRecords(JSON.stringify([{ ...allocated, waitMs: 'soon' }]))).toThrow(/waitMs/);
    expect(() => usageRecords('{')).toThrow(/not JSON/);
  });
});
