import type { Frozen } from '@hearth/config';
import type { BootTime } from './config.js';

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same sequence on every
 * run and platform, so a simulated day of boot times and failures repeats exactly.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One draw from the standard normal distribution (Box–Muller). */
export function standardNormal(random: Random): number {
  // 1 - u lies in (0, 1], so the logarithm stays finite
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The standard normal's 99th percentile. */
const z99 = 2.3263478740408408;

/** μ and σ of the log-normal whose mean is `meanMs` and whose 99th percentile is `p99Ms`. */
export function fitLognormal(meanMs: number, p99Ms: number): { mu: number; sigma: number } {
  // mean = exp(μ + σ²/2) and p99 = exp(μ + z·σ), so ln(p99 / mean) = z·σ − σ²/2;
  // the smaller root keeps σ below z, where the 99th percentile still grows with σ
  const d = Math.log(p99Ms / meanMs);
  if (!(d > 0)) throw new RangeError(`lognormal boot time: p99Ms (${p99Ms}) must be above meanMs (${meanMs})`);
  const discriminant = z99 * z99 - 2 * d;
  if (discriminant < 0) {
    const widest = Math.floor(meanMs * Math.exp((z99 * z99) / 2));
    throw new RangeError(
      `lognormal boot time: p99Ms (${p99Ms}) is too far above meanMs (${meanMs}); at most ${widest} fits a log-normal`,
    );
  }
  const sigma = z99 - Math.sqrt(discriminant);
  return { mu: Math.log(meanMs) - (sigma * sigma) / 2, sigma };
}

/**
 * A function that draws one boot time in whole milliseconds (>= 0) from the configured
 * distribution, using `random`. Throws RangeError at once for a distribution that cannot be
 * built (min above max, a p99 no log-normal can have), so a bad config fails at startup.
 */
export function bootTimeSampler(bootTime: Frozen<BootTime>, random: Random): () => number {
  switch (bootTime.distribution) {
    case 'fixed': {
      const ms = Math.round(bootTime.meanMs);
      return () => ms;
    }
    case 'uniform': {
      const { minMs, maxMs } = bootTime;
      if (minMs > maxMs) throw new RangeError(`uniform boot time: minMs (${minMs}) is above maxMs (${maxMs})`);
      return () => Math.round(minMs + random() * (maxMs - minMs));
    }
    case 'lognormal': {
      const { mu, sigma } = fitLognormal(bootTime.meanMs, bootTime.p99Ms);
      return () => Math.round(Math.exp(mu + sigma * standardNormal(random)));
    }
  }
}
