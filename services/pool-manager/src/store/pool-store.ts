import { buckets, openKv, PoolSettings, recordUsage, type Bus, type TypedKv } from '@hearth/bus';
import type { PoolManagerConfig } from '../config.js';

export const poolKey = (type: string, cloud: string): string => `${type}.${cloud}`;

/**
 * Pool settings: seeded from hearth.yaml on first start; admin changes live in KV `pools`,
 * survive restarts, win over the file, and each emits a `resized` usage record.
 */
export class PoolStore {
  private readonly pools = new Map<string, { settings: PoolSettings; revision: number }>();

  private constructor(
    private readonly bus: Bus,
    private readonly kv: TypedKv<typeof PoolSettings>,
    private readonly installation: string,
  ) {}

  static async open(bus: Bus, config: PoolManagerConfig): Promise<PoolStore> {
    const store = new PoolStore(bus, await openKv(bus, buckets.pools, PoolSettings), config.installation);
    for (const entry of config.pools) {
      const key = poolKey(entry.type, entry.cloud);
      const stored = await store.kv.get(key);
      if (stored) {
        store.pools.set(key, { settings: stored.value, revision: stored.revision });
        continue;
      }
      const settings: PoolSettings = { ...entry, mode: 'fixed', changedBy: 'hearth.yaml', changedAt: Date.now() };
      const revision = await store.kv.put(key, settings);
      store.pools.set(key, { settings, revision });
    }
    return store;
  }

  all(): PoolSettings[] {
    return [...this.pools.values()].map((p) => p.settings);
  }

  get(type: string, cloud: string): PoolSettings | undefined {
    return this.pools.get(poolKey(type, cloud))?.settings;
  }

  /** Applies an admin change (CAS), records who changed what, and returns the new settings. */
  async resize(
    type: string,
    cloud: string,
    change: { minReady?: number; max?: number; weight?: number },
    by: string,
  ): Promise<PoolSettings> {
    const key = poolKey(type, cloud);
    const current = this.pools.get(key);
    if (!current) throw new Error(`no pool ${key}`);
    const next: PoolSettings = { ...current.settings, ...change, changedBy: by, changedAt: Date.now() };
    const revision = await this.kv.update(key, next, current.revision);
    this.pools.set(key, { settings: next, revision });
    const pick = (s: PoolSettings): Record<string, unknown> => ({ minReady: s.minReady, max: s.max, weight: s.weight });
    await recordUsage(this.bus, {
      event: 'resized',
      at: next.changedAt,
      installation: this.installation,
      type,
      cloud,
      by,
      before: pick(current.settings),
      after: pick(next),
    });
    return next;
  }
}
