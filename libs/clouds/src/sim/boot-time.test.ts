import { describe, expect, it } from 'vitest';
import { bootTimeSampler, fitLognormal, seededRandom, standardNormal } from './boot-time.js';

function draw(sample: () => number, count: number): number[] {
  return Array.from({ length: count }, sample);
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed', () => {
    expect(draw(seededRandom(42), 100)).toEqual(draw(seededRandom(42), 100));
  });

  it('gives a different sequence for another seed', () => {
    expect(draw(seededRandom(42), 10)).not.toEqual(draw(seededRandom(43), 10));
  });

  it('stays in [0, 1) and spreads evenly', () => {
    const values = draw(seededRandom(7), 50_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(mean(values)).toBeCloseTo(0.5, 2);
  });

  it('feeds a standard normal with mean 0 and deviation 1', () => {
    const random = seededRandom(11);
    const values = draw(() => standardNormal(random), 50_000);
    const m = mean(values);
    const sd = Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
    expect(m).toBeCloseTo(0, 1);
    expect(sd).toBeCloseTo(1, 1);
  });
});

describe('bootTimeSampler', () => {
  it('fixed: always the mean, in whole milliseconds', () => {
    const sample = bootTimeSampler({ distribution: 'fixed', meanMs: 45_000.4 }, seededRandom(1));
    expect(new Set(draw(sample, 100))).toEqual(new Set([45_000]));
  });

  it('uniform: stays within min and max and centres between them', () => {
    const sample = bootTimeSampler({ distribution: 'uniform', minMs: 20_000, maxMs: 60_000 }, seededRandom(3));
    const values = draw(sample, 20_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...values)).toBeLessThanOrEqual(60_000);
    expect(mean(values) / 40_000).toBeCloseTo(1, 1);
  });

  it('uniform: refuses min above max', () => {
    expect(() => bootTimeSampler({ distribution: 'uniform', minMs: 5, maxMs: 4 }, seededRandom(1))).toThrow(
      /minMs \(5\) is above maxMs \(4\)/,
    );
  });

  it('lognormal: matches the configured mean and 99th percentile', () => {
    const sample = bootTimeSampler({ distribution: 'lognormal', meanMs: 45_000, p99Ms: 120_000 }, seededRandom(5));
    const values = draw(sample, 100_000);
    expect(Math.abs(mean(values) / 45_000 - 1)).toBeLessThan(0.02);
    expect(Math.abs(percentile(values, 0.99) / 120_000 - 1)).toBeLessThan(0.05);
    expect(Math.min(...values)).toBeGreaterThan(0);
  });

  it('lognormal: the same seed gives the same boot times', () => {
    const config = { distribution: 'lognormal', meanMs: 30_000, p99Ms: 90_000 } as const;
    expect(draw(bootTimeSampler(config, seededRandom(9)), 50)).toEqual(draw(bootTimeSampler(config, seededRandom(9)), 50));
  });
});

describe('fitLognormal', () => {
  it('solves for parameters whose mean and p99 are the inputs', () => {
    const { mu, sigma } = fitLognormal(45_000, 120_000);
    expect(Math.exp(mu + (sigma * sigma) / 2)).toBeCloseTo(45_000, 6);
    expect(Math.exp(mu + 2.3263478740408408 * sigma)).toBeCloseTo(120_000, 6);
  });

  it('refuses a p99 at or below the mean', () => {
    expect(() => fitLognormal(100, 100)).toThrow(/must be above meanMs/);
  });

  it('refuses a p99 no log-normal with that mean can reach, and names the largest that fits', () => {
    expect(() => fitLognormal(100, 10_000)).toThrow(/at most 1496 fits/);
    expect(() => fitLognormal(100, 1496)).not.toThrow();
  });
});
