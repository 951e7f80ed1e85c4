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
    expect(() => createDriver(config, deps)).toThrow(/cloud vs-1: unknown driver "vsphere" \(known: docker, ec2, .*sim\)/);
  });

  it('refuses a config its driver schema rejects, naming every bad path', () => {
    const config = { driver: 'sim', name: 'sim-b', region: 'r1', bootTimeMs: { distribution: 'fixed' }, images: [] };
    expect(() => createDriver(config as unknown as DriverConfig, deps)).toThrow(/bootTimeMs[\s\S]*images/);
  });

  it('makes an ec2 driver from a valid section and names every bad path of an invalid one', () => {
    const config: DriverConfig = { driver: 'ec2', name: 'aws-eu', region: 'eu-west-1', subnetId: 'subnet-0abc' };
    expect(createDriver(config, deps)).toMatchObject({ kind: 'ec2', cloud: 'aws-eu' });
    const bad = { driver: 'ec2', name: 'aws-eu', subnetId: 'net-1', securityGroupIds: [] };
    expect(() => createDriver(bad as unknown as DriverConfig, deps)).toThrow(/region[\s\S]*subnetId[\s\S]*securityGroupIds/);
  });

  it('registers a schema with every factory, keyed by its kind', () => {
    for (const [kind, factory] of Object.entries(drivers)) {
      expect(factory.kind).toBe(kind);
      expect(factory.configSchema).toBeTypeOf('object');
    }
  });
});
