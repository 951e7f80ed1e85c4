import { describe, expect, it } from 'vitest';
import { emptyCounts, type StateCounts } from './pool-target.js';
import { planSpread, type SpreadPool } from './spread.js';

const counts = (c: Partial<StateCounts> = {}): StateCounts => ({ ...emptyCounts(), ...c });
const pool = (cloud: string, p: Partial<SpreadPool> = {}): SpreadPool => ({
  cloud,
  minReady: 2,
  max: 10,
  weight: 1,
  counts: counts(),
  usable: true,
  launchable: true,
  leaving: false,
  headroom: Infinity,
  weightFactor: 1,
  ...p,
});
const plan = (pools: SpreadPool[], queued = 0): { launch: Record<string, number>; trim: Record<string, number>; target: number } => {
  const p = planSpread(pools, queued);
  return { launch: Object.fromEntries(p.launch), trim: Object.fromEntries(p.trim), target: p.target };
};

describe('planSpread, one pool', () => {
  it('launches up to minReady, counting machines in flight', () => {
    expect(plan([pool('a', { minReady: 3 })])).toEqual({ launch: { a: 3 }, trim: {}, target: 3 });
    expect(plan([pool('a', { minReady: 3, counts: counts({ ready: 1, launching: 1, booting: 1 }) })]).launch).toEqual({});
  });

  it('replaces allocated machines, never growing past max', () => {
    expect(plan([pool('a', { counts: counts({ allocated: 5 }) })]).launch).toEqual({ a: 2 });
    expect(plan([pool('a', { minReady: 4, max: 6, counts: counts({ allocated: 5 }) })]).launch).toEqual({ a: 1 });
    expect(plan([pool('a', { minReady: 4, max: 6, counts: counts({ allocated: 6 }) })]).launch).toEqual({});
  });

  it('raises the target by the queued requests, within max', () => {
    expect(plan([pool('a', { minReady: 1 })], 3).launch).toEqual({ a: 4 });
    expect(plan([pool('a', { minReady: 1, max: 3 })], 5).launch).toEqual({ a: 3 });
  });

  it('launches no more than the quota has room for', () => {
    expect(plan([pool('a', { minReady: 5, headroom: 2 })]).launch).toEqual({ a: 2 });
  });

  it('trims surplus ready machines, in-flight ones counted first, but not while requests wait', () => {
    expect(plan([pool('a', { counts: counts({ ready: 5 }) })]).trim).toEqual({ a: 3 });
    expect(plan([pool('a', { counts: counts({ ready: 5 }) })], 1).trim).toEqual({});
    expect(plan([pool('a', { minReady: 1, counts: counts({ ready: 1, booting: 2 }) })]).trim).toEqual({ a: 1 });
  });

  it('trims a pool over its max (after a resize) down to it', () => {
    expect(plan([pool('a', { minReady: 0, max: 2, counts: counts({ ready: 2, allocated: 2 }) })]).trim).toEqual({ a: 2 });
  });
});

describe('planSpread, pools over several clouds', () => {
  it('spreads the shared target by weight', () => {
    expect(plan([pool('a', { weight: 2 }), pool('b', { weight: 1 }), pool('c', { weight: 1, minReady: 0 })]).launch).toEqual({ a: 2, b: 1, c: 1 });
  });

  it('sends the share of a cloud that cannot launch to the others, within their max', () => {
    const pools = [pool('a', { launchable: false }), pool('b'), pool('c', { max: 3 })];
    expect(plan(pools).launch).toEqual({ b: 3, c: 3 });
  });

  it('does not count a down or drained cloud\'s warm machines, and launches their share elsewhere', () => {
    const pools = [pool('a', { usable: false, launchable: false, counts: counts({ ready: 2 }) }), pool('b', { counts: counts({ ready: 2 }) }), pool('c', { counts: counts({ ready: 2 }) })];
    expect(plan(pools)).toEqual({ launch: { b: 1, c: 1 }, trim: {}, target: 6 });
  });

  it('gives a degraded cloud half its weight', () => {
    expect(plan([pool('a', { minReady: 3, weightFactor: 0.5 }), pool('b', { minReady: 3 })]).launch).toEqual({ a: 2, b: 4 });
  });

  it('fills the emptiest pool first, so a cloud that is back gets launches again', () => {
    const pools = [pool('a', { counts: counts({ ready: 3 }) }), pool('b', { counts: counts({ ready: 3 }) }), pool('c')];
    expect(plan(pools, 2).launch).toEqual({ c: 2 });
  });

  it('uses a weight-0 pool only when no other pool can take a launch', () => {
    expect(plan([pool('a', { minReady: 2 }), pool('z', { minReady: 0, weight: 0 })]).launch).toEqual({ a: 2 });
    expect(plan([pool('a', { minReady: 2, max: 1 }), pool('z', { minReady: 0, weight: 0 })]).launch).toEqual({ a: 1, z: 1 });
  });

  it('moves a drained cloud\'s ready machines make-before-break', () => {
    const drained = (ready: number): SpreadPool => pool('d', { usable: false, launchable: false, leaving: true, counts: counts({ ready }) });
    // 1. drained: the others launch the share; nothing leaves yet
    expect(plan([drained(2), pool('a', { counts: counts({ ready: 2 }) }), pool('b', { counts: counts({ ready: 2 }) })])).toEqual({ launch: { a: 1, b: 1 }, trim: {}, target: 6 });
    // 2. one replacement ready: one drained machine leaves
    expect(plan([drained(2), pool('a', { counts: counts({ ready: 3 }) }), pool('b', { counts: counts({ ready: 2, booting: 1 }) })]).trim).toEqual({ d: 1 });
    // 3. all replaced: the rest leave
    expect(plan([drained(1), pool('a', { counts: counts({ ready: 3 }) }), pool('b', { counts: counts({ ready: 3 }) })]).trim).toEqual({ d: 1 });
  });

  it('trims surplus from the pool furthest above its share, and never from a down cloud', () => {
    const pools = [pool('a', { counts: counts({ ready: 5 }) }), pool('b', { counts: counts({ ready: 2 }) }), pool('down', { usable: false, launchable: false, counts: counts({ ready: 4 }) })];
    expect(plan(pools).trim).toEqual({ a: 1 });
  });
});
