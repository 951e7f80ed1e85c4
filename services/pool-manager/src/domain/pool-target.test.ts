import { describe, expect, it } from 'vitest';
import { emptyCounts, planPool, type StateCounts } from './pool-target.js';

const counts = (c: Partial<StateCounts>): StateCounts => ({ ...emptyCounts(), ...c });

describe('planPool', () => {
  it('launches up to minReady when nothing is in flight', () => {
    expect(planPool({ minReady: 3, max: 10 }, counts({}), 0, Infinity)).toEqual({ launch: 3, trim: 0, target: 3 });
  });

  it('counts machines already launching or booting towards the target', () => {
    expect(planPool({ minReady: 3, max: 10 }, counts({ ready: 1, launching: 1, booting: 1 }), 0, Infinity).launch).toBe(0);
  });

  it('replaces allocated machines: they do not count as warm', () => {
    expect(planPool({ minReady: 2, max: 10 }, counts({ ready: 0, allocated: 5 }), 0, Infinity).launch).toBe(2);
  });

  it('never lets the pool grow past max, allocated machines included', () => {
    expect(planPool({ minReady: 4, max: 6 }, counts({ allocated: 5 }), 0, Infinity)).toMatchObject({ launch: 1, target: 1 });
    expect(planPool({ minReady: 4, max: 6 }, counts({ allocated: 6 }), 0, Infinity)).toMatchObject({ launch: 0, target: 0 });
  });

  it('raises the target by the queued requests, within max', () => {
    expect(planPool({ minReady: 1, max: 10 }, counts({}), 3, Infinity).launch).toBe(4);
    expect(planPool({ minReady: 1, max: 3 }, counts({}), 5, Infinity).launch).toBe(3);
  });

  it('launches no more than the cloud has room for', () => {
    expect(planPool({ minReady: 5, max: 10 }, counts({}), 0, 2).launch).toBe(2);
    expect(planPool({ minReady: 5, max: 10 }, counts({}), 0, 0).launch).toBe(0);
  });

  it('trims surplus ready machines, but not while requests wait', () => {
    expect(planPool({ minReady: 2, max: 10 }, counts({ ready: 5 }), 0, Infinity)).toMatchObject({ launch: 0, trim: 3 });
    expect(planPool({ minReady: 2, max: 10 }, counts({ ready: 5 }), 1, Infinity).trim).toBe(0);
  });

  it('trims only ready machines, counting in-flight ones as surplus first', () => {
    expect(planPool({ minReady: 1, max: 10 }, counts({ ready: 1, booting: 2 }), 0, Infinity).trim).toBe(1);
  });
});
