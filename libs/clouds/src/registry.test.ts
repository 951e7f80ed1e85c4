import { createLogger } from '@hearth/log';
import { describe, expect, it } from 'vitest';
import { createDriver, drivers, type DriverConfig } from './registry.js';

const deps = { log: createLogger({ service: 'registry-test', level: 'silent' }), installation: 'inst-registry' };

describe('createDriver', () => {
  it('makes the driver its config names', () => {
    const config: DriverConfig = {
      driver: 'sim',
      name: 'sim-a',
      region: 'r1',
      bootTimeMs: { distribution: 'fixed', meanMs: 10 },
      images: ['base'],
    };
    const driver = createDriver(config, deps);
    expect(driver).toMatchObject({ kind: 'sim', cloud: 'sim-a' });
  });

  it('refuses an unknown kind, naming the kinds it knows', () => {
    const config = { driver: 'vsphere', name: 'vs-1' } as unknown as DriverConfig;
    expect(() => createDriver(config, deps)).toThrow(/cloud vs-1: unknown driver "vsphere" \(known: docker, sim/);
  });

  it('refuses a config its driver schema rejects, naming every bad path', () => {
    const config = { driver: 'sim', name: 'sim-b', region: 'r1', bootTimeMs: { distribution: 'fixed' }, images: [] };
    expect(() => createDriver(config as unknown as DriverConfig, deps)).toThrow(/bootTimeMs[\s\S]*images/);
  });

  it('registers a schema with every factory, keyed by its kind', () => {
    for (const [kind, factory] of Object.entries(drivers)) {
      expect(factory.kind).toBe(kind);
      expect(factory.configSchema).toBeTypeOf('object');
    }
  });
});
