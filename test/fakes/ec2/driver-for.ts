import { randomUUID } from 'node:crypto';
import { Ec2Driver, OwnerTag, type Ec2Config, type LaunchSpec } from '@hearth/clouds';
import { createLogger } from '@hearth/log';
import { fakeIds, type Ec2Fake } from './server.js';

const log = createLogger({ service: 'ec2-fake-test', level: 'silent' });

/**
 * The real ec2 driver pointed at `fake` with static credentials, the fake's own unless a test
 * passes wrong ones; never the SDK's default chain, so no test can reach a real account.
 */
export function driverFor(
  fake: Ec2Fake,
  installation: string,
  config: Partial<Ec2Config> = {},
  credentials: { accessKeyId: string; secretAccessKey: string } = fake.credentials,
): Ec2Driver {
  const base: Ec2Config = {
    driver: 'ec2',
    name: 'ec2-fake',
    region: fake.region,
    endpoint: fake.url,
    subnetId: fakeIds.subnet,
    securityGroupIds: [fakeIds.securityGroup],
    instanceType: 't3.micro',
    requestTimeoutMs: 20_000,
  };
  return new Ec2Driver({ ...base, ...config }, { log, installation, credentials: { ...credentials } });
}

/**
 * The config section of an ec2 cloud on `fake`, for code that makes drivers through
 * createDriver (the pool manager), which gets its credentials from the default chain: pair it
 * with fakeCredentialEnv().
 */
export function cloudConfigFor(fake: Ec2Fake, name = 'ec2-fake'): Ec2Config {
  return { driver: 'ec2', name, region: fake.region, endpoint: fake.url, subnetId: fakeIds.subnet, securityGroupIds: [fakeIds.securityGroup], instanceType: 't3.micro' };
}

/**
 * Environment that makes the SDK's default credential chain resolve to the fake's static test
 * keys (the chain reads the environment first), with the instance metadata service off, so
 * nothing ever tries the network for credentials.
 */
export function fakeCredentialEnv(fake: Ec2Fake): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fake.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** A new installation id for one test file. */
export function newInstallation(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Launch specs of one installation, each with a new machine id. */
export function specMaker(installation: string, prefix = 'm'): (overrides?: Partial<LaunchSpec>) => LaunchSpec {
  let sequence = 0;
  return (overrides = {}) => {
    sequence += 1;
    const machineId = `${prefix}-${installation}-${sequence}`;
    return {
      machineId,
      type: 'analysis-2',
      image: fakeIds.image,
      flavor: 't3.micro',
      cpus: 2,
      memoryMb: 1024,
      tags: { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: 'analysis-2' },
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIContractSuiteKeyOnly hearth-contract'],
      ...overrides,
    };
  };
}
