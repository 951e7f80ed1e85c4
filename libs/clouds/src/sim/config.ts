import Type, { type Static } from 'typebox';
import { Duration, type Frozen } from '@hearth/config';

/** Every instance boots in exactly `meanMs`. */
export const FixedBootTime = Type.Object(
  { distribution: Type.Literal('fixed'), meanMs: Duration() },
  { additionalProperties: false },
);

/** Boot times spread evenly between `minMs` and `maxMs`. */
export const UniformBootTime = Type.Object(
  { distribution: Type.Literal('uniform'), minMs: Duration(), maxMs: Duration() },
  { additionalProperties: false },
);

/**
 * Boot times with a long right tail, as real clouds show: a log-normal fitted so that its
 * mean is `meanMs` and its 99th percentile is `p99Ms`. Needs meanMs < p99Ms <= ~15 × meanMs,
 * the widest tail a log-normal with that mean can have.
 */
export const LognormalBootTime = Type.Object(
  {
    distribution: Type.Literal('lognormal'),
    meanMs: Duration({ exclusiveMinimum: 0 }),
    p99Ms: Duration({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
);

/** How long a sim instance stays pending: one of the three distributions, told apart by `distribution`. */
export const BootTime = Type.Union([FixedBootTime, UniformBootTime, LognormalBootTime], {
  description: 'how long an instance stays pending before it runs (or fails)',
});
export type BootTime = Static<typeof BootTime>;

/** Limits of the simulated account; a missing limit is no limit (Infinity). */
export const SimLimits = Type.Object(
  {
    instances: Type.Optional(Type.Integer({ minimum: 0 })),
    cores: Type.Optional(Type.Integer({ minimum: 0 })),
    ramMb: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/**
 * One simulated cloud: an in-memory account with boot times, failures and quota, for
 * benchmarks, fault tests, pool-manager unit tests, and `hearth up` where no Docker engine
 * is reachable. Its instances are never reachable over the network.
 */
export const SimConfig = Type.Object(
  {
    driver: Type.Literal('sim'),
    name: Type.String({ minLength: 1, description: 'the cloud name pools refer to' }),
    region: Type.String({ minLength: 1 }),
    bootTimeMs: BootTime,
    apiLatencyMs: Type.Optional(Duration({ description: 'added to every API call; 0 when absent' })),
    deleteTimeMs: Type.Optional(
      Duration({ description: 'how long a terminated instance stays `deleting` before it is gone; 0 when absent' }),
    ),
    failureRate: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'chance that a launch ends in `error` instead of `running`' }),
    ),
    limits: Type.Optional(SimLimits),
    images: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'image names this cloud knows; launching any other is an InvalidSpecError',
    }),
    seed: Type.Optional(Type.Integer({ description: 'seed of the random source, so runs repeat exactly; 1 when absent' })),
  },
  { additionalProperties: false },
);
/** A sim cloud's configuration section, as loadConfig returns it (or a plain literal in tests). */
export type SimConfig = Frozen<Static<typeof SimConfig>>;

/** The settings a SimCloud runs with, every optional field filled in. */
export interface SimSettings {
  name: string;
  region: string;
  bootTime: Frozen<BootTime>;
  apiLatencyMs: number;
  deleteTimeMs: number;
  failureRate: number;
  limits: { instances: number; cores: number; ramMb: number };
  images: ReadonlySet<string>;
  seed: number;
}

/** Fills in what the config left out: no latency, no failures, no limits, seed 1. */
export function simSettings(config: SimConfig): SimSettings {
  return {
    name: config.name,
    region: config.region,
    bootTime: config.bootTimeMs,
    apiLatencyMs: config.apiLatencyMs ?? 0,
    deleteTimeMs: config.deleteTimeMs ?? 0,
    failureRate: config.failureRate ?? 0,
    limits: {
      instances: config.limits?.instances ?? Infinity,
      cores: config.limits?.cores ?? Infinity,
      ramMb: config.limits?.ramMb ?? Infinity,
    },
    images: new Set(config.images),
    seed: config.seed ?? 1,
  };
}
