import Type, { type Static } from 'typebox';
import { drivers, isKnownDriverKind } from '@hearth/clouds';
import { applySchema, commonSettings, Duration, formatPath, type Frozen } from '@hearth/config';

const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,40}$', description: 'lower-case letters, digits and -' });

/** A kind of analysis machine people can ask for. */
export const MachineType = Type.Object(
  {
    name: Name,
    description: Type.String({ default: '' }),
    cpus: Type.Number({ exclusiveMinimum: 0 }),
    memoryMb: Type.Integer({ minimum: 64 }),
    gpus: Type.Integer({ minimum: 0, default: 0 }),
    /** The image per cloud name (Docker tag, Glance image name, AMI id); `default` for any cloud not named. */
    images: Type.Record(Type.String(), Type.String({ minLength: 1 })),
    flavors: Type.Record(Type.String(), Type.String({ minLength: 1 }), { default: {} }),
    idleLimitMs: Duration({ default: 4 * 3_600_000, description: 'reclaim after this long without sessions or CPU use' }),
    maxLifetimeMs: Duration({ default: 7 * 86_400_000, description: 'reclaim after this long allocated, whatever the use' }),
    sudo: Type.Boolean({ default: false, description: 'give the user passwordless sudo' }),
    bootTimeoutMs: Duration({ default: 300_000 }),
  },
  { additionalProperties: false },
);

/** A cloud; the driver checks the rest of the entry against its own schema. */
export const CloudEntry = Type.Object(
  {
    name: Name,
    driver: Type.Union([Type.Literal('docker'), Type.Literal('sim'), Type.Literal('openstack'), Type.Literal('ec2')]),
    region: Type.String({ default: 'local' }),
  },
  { additionalProperties: true },
);

export const PoolEntry = Type.Object(
  {
    type: Type.String(),
    cloud: Type.String(),
    minReady: Type.Integer({ minimum: 0, default: 1 }),
    max: Type.Integer({ minimum: 0, default: 10 }),
    weight: Type.Number({ minimum: 0, default: 1 }),
  },
  { additionalProperties: false },
);

/** Hearth's own per-cloud settings (cloud entries themselves belong to their driver's schema). */
const cloudSettingFields = {
  /** Driver API calls per second (token bucket); a cloud's calls wait for a token, other clouds' do not. */
  apiRatePerSecond: Type.Number({ exclusiveMinimum: 0 }),
  /** Calls that may go at once after a quiet spell (the bucket's size). */
  apiBurst: Type.Integer({ minimum: 1 }),
  /** Parallel launches on this cloud; poolManager.launchConcurrency when absent. */
  launchConcurrency: Type.Integer({ minimum: 1 }),
  /** How far back cloud health looks. */
  healthWindowMs: Duration(),
  /** How often a down cloud is probed. */
  probeIntervalMs: Duration(),
  /** How often quota is read (headroom, and whether a full cloud has room again). */
  quotaCheckIntervalMs: Duration(),
  /** API error share (of at least 5 calls in the window) at which the cloud is degraded. */
  errorRateDegraded: Type.Number({ minimum: 0, maximum: 1 }),
  /** API p95 latency at which the cloud is degraded. */
  latencyDegradedMs: Duration(),
  /** Consecutive failed API calls, or consecutive failed launches, at which the cloud is down. */
  downAfterFailures: Type.Integer({ minimum: 1 }),
  /** Median boot time at which the cloud is degraded. */
  bootDegradedMs: Duration(),
};

export const CloudSettings = Type.Object(
  {
    apiRatePerSecond: { ...cloudSettingFields.apiRatePerSecond, default: 20 },
    apiBurst: { ...cloudSettingFields.apiBurst, default: 20 },
    launchConcurrency: Type.Optional(cloudSettingFields.launchConcurrency),
    healthWindowMs: { ...cloudSettingFields.healthWindowMs, default: 300_000 },
    probeIntervalMs: { ...cloudSettingFields.probeIntervalMs, default: 10_000 },
    quotaCheckIntervalMs: { ...cloudSettingFields.quotaCheckIntervalMs, default: 30_000 },
    errorRateDegraded: { ...cloudSettingFields.errorRateDegraded, default: 0.2 },
    latencyDegradedMs: { ...cloudSettingFields.latencyDegradedMs, default: 5_000 },
    downAfterFailures: { ...cloudSettingFields.downAfterFailures, default: 3 },
    bootDegradedMs: { ...cloudSettingFields.bootDegradedMs, default: 600_000 },
  },
  { additionalProperties: false, default: {} },
);
export type CloudSettings = Frozen<Static<typeof CloudSettings>>;

/** Per-cloud overrides of poolManager.cloudDefaults, keyed by cloud name. */
export const CloudOverrides = Type.Record(Type.String(), Type.Partial(Type.Object(cloudSettingFields, { additionalProperties: false })), { default: {} });

export const PoolManagerSettings = Type.Object(
  {
    reconcileIntervalMs: Duration({ default: 2_000 }),
    /** How long a request waits in the queue when nothing is ready, unless it says otherwise. */
    queueWaitMs: Duration({ default: 120_000 }),
    activityProbeIntervalMs: Duration({ default: 60_000 }),
    /** How often clouds are listed to find leaked instances and vanished ones. */
    leakSweepIntervalMs: Duration({ default: 10_000 }),
    /** How long after a launch a cloud may still say it does not know the instance (eventual consistency) before it counts as vanished. */
    vanishGraceMs: Duration({ default: 60_000 }),
    /** Between the reclaim warning and the reclaim. */
    reclaimGraceMs: Duration({ default: 900_000 }),
    /**
     * Replicas: the one holding the KV lease allocates and reconciles, the others stand by.
     * A holder that cannot renew steps down after 0.8 of this; a standby takes over after all of it.
     */
    leaseTtlMs: Duration({ default: 10_000, minimum: 500 }),
    /** The installation's SSH key; `<dataDir>/ssh/id_ed25519` unless set. */
    sshKeyFile: Type.Optional(Type.String()),
    /** Parallel launches per cloud, so a slow cloud never holds up the others. */
    launchConcurrency: Type.Integer({ minimum: 1, default: 4 }),
    metricsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 9471, description: 'Prometheus /metrics; 0 picks a free port' }),
    metricsHost: Type.String({ default: '127.0.0.1' }),
    /** Hearth's per-cloud settings for every cloud: API rate, health thresholds, probe and quota intervals. */
    cloudDefaults: CloudSettings,
    /** The same settings for one cloud, by cloud name, over cloudDefaults. */
    cloudOverrides: CloudOverrides,
  },
  { additionalProperties: false, default: {} },
);

export const PoolManagerConfig = Type.Object(
  {
    ...commonSettings,
    poolManager: PoolManagerSettings,
    machineTypes: Type.Array(MachineType, { default: [] }),
    clouds: Type.Array(CloudEntry, { default: [] }),
    pools: Type.Array(PoolEntry, { default: [] }),
  },
  { additionalProperties: true },
);
export type PoolManagerConfig = Frozen<Static<typeof PoolManagerConfig>>;
export type MachineType = Frozen<Static<typeof MachineType>>;
export type CloudEntry = Frozen<Static<typeof CloudEntry>>;

/**
 * Checks what the schema cannot: pools name existing types and clouds, each pooled type
 * has an image for its cloud, and names are unique. Every problem is listed.
 */
export function checkReferences(config: PoolManagerConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const types = new Set<string>();
  const clouds = new Set<string>();
  config.machineTypes.forEach((t, i) => {
    if (types.has(t.name)) issues.push({ path: `machineTypes[${i}].name`, message: `duplicate machine type ${t.name}` });
    types.add(t.name);
  });
  config.clouds.forEach((c, i) => {
    if (clouds.has(c.name)) issues.push({ path: `clouds[${i}].name`, message: `duplicate cloud ${c.name}` });
    clouds.add(c.name);
    if (!isKnownDriverKind(c.driver)) {
      issues.push({ path: `clouds[${i}].driver`, message: `the ${c.driver} driver is not available in this build; expected one of: ${Object.keys(drivers).join(', ')}` });
      return;
    }
    // each cloud entry is checked against its own driver's schema
    for (const issue of applySchema(drivers[c.driver].configSchema, c).issues) {
      issues.push({ path: `clouds[${i}].${formatPath(issue.path)}`, message: issue.message });
    }
  });
  for (const name of Object.keys(config.poolManager.cloudOverrides)) {
    if (!clouds.has(name)) issues.push({ path: `poolManager.cloudOverrides.${name}`, message: `unknown cloud ${JSON.stringify(name)}; expected one of: ${[...clouds].join(', ') || '(none defined)'}` });
  }
  const seen = new Set<string>();
  config.pools.forEach((p, i) => {
    if (!types.has(p.type)) issues.push({ path: `pools[${i}].type`, message: `unknown machine type ${JSON.stringify(p.type)}; expected one of: ${[...types].join(', ') || '(none defined)'}` });
    if (!clouds.has(p.cloud)) issues.push({ path: `pools[${i}].cloud`, message: `unknown cloud ${JSON.stringify(p.cloud)}; expected one of: ${[...clouds].join(', ') || '(none defined)'}` });
    if (p.minReady > p.max) issues.push({ path: `pools[${i}].minReady`, message: `expected at most max (${p.max}), got ${p.minReady}` });
    const key = `${p.type}.${p.cloud}`;
    if (seen.has(key)) issues.push({ path: `pools[${i}]`, message: `duplicate pool for ${p.type} on ${p.cloud}` });
    seen.add(key);
    const type = config.machineTypes.find((t) => t.name === p.type);
    if (type && !type.images[p.cloud] && !type.images['default']) {
      issues.push({ path: `machineTypes[${config.machineTypes.indexOf(type)}].images`, message: `no image for cloud ${p.cloud} (add images.${p.cloud} or images.default)` });
    }
  });
  return issues;
}

/** The settings one cloud runs with: cloudDefaults, then its override. */
export function cloudSettingsFor(config: PoolManagerConfig, cloud: string): CloudSettings {
  const override = Object.fromEntries(Object.entries(config.poolManager.cloudOverrides[cloud] ?? {}).filter(([, v]) => v !== undefined));
  return { ...config.poolManager.cloudDefaults, ...override } as CloudSettings;
}
