import { describe, expect, it } from 'vitest';
import { OwnerTag, type LaunchSpec } from '../driver.js';
import { ec2Settings } from './config.js';
import { clientTokenOf, runInstancesInput } from './launch.js';
import { maxUserDataBytes, rootKeysCloudConfig, userDataFor } from './user-data.js';

const settings = ec2Settings({
  driver: 'ec2',
  name: 'aws-eu',
  region: 'eu-west-1',
  subnetId: 'subnet-0abc',
  securityGroupIds: ['sg-0abc'],
  instanceType: 'm6i.large',
});

const spec: LaunchSpec = {
  machineId: 'm-1',
  type: 'mantid-16',
  image: 'ami-0123456789abcdef0',
  cpus: 2,
  memoryMb: 8192,
  tags: { [OwnerTag.Installation]: 'inst-1', [OwnerTag.Machine]: 'm-1', [OwnerTag.Type]: 'mantid-16' },
  authorizedKeys: ['ssh-ed25519 AAAAkey hearth'],
};

describe('clientTokenOf', () => {
  it('is stable per installation and machine, distinct across them, and fits EC2 (64 ASCII characters)', () => {
    const token = clientTokenOf('inst-1', 'm-1');
    expect(clientTokenOf('inst-1', 'm-1')).toBe(token);
    expect(clientTokenOf('inst-2', 'm-1')).not.toBe(token);
    expect(clientTokenOf('inst-1', 'm-2')).not.toBe(token);
    expect(token).toMatch(/^[\x20-\x7e]{1,64}$/);
  });
});

describe('runInstancesInput', () => {
  it('launches one instance of the flavor, else the configured type, into the subnet with tags on instance and volume', () => {
    const made = runInstancesInput(spec, settings, 'inst-1');
    if (!('input' in made)) throw new Error(made.problem);
    expect(made.input).toMatchObject({ ImageId: spec.image, InstanceType: 'm6i.large', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0abc' });
    expect(made.input.SecurityGroupIds).toEqual(['sg-0abc']);
    expect(made.input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    expect(made.input.TagSpecifications?.[0]?.Tags).toContainEqual({ Key: OwnerTag.Machine, Value: 'm-1' });
    expect(made.input.ClientToken).toBe(clientTokenOf('inst-1', 'm-1'));
    const flavored = runInstancesInput({ ...spec, flavor: 'c6i.4xlarge', network: 'subnet-0def' }, settings, 'inst-1');
    expect('input' in flavored && flavored.input).toMatchObject({ InstanceType: 'c6i.4xlarge', SubnetId: 'subnet-0def' });
  });

  it('refuses specs without owner tags, of another installation, without a type, or with too much user data', () => {
    const problem = (s: LaunchSpec, extra = settings): string | undefined => {
      const made = runInstancesInput(s, extra, 'inst-1');
      return 'problem' in made ? made.problem : undefined;
    };
    expect(problem({ ...spec, tags: { [OwnerTag.Machine]: 'm-1' } })).toMatch(/hearth:installation/);
    expect(problem({ ...spec, tags: { ...spec.tags, [OwnerTag.Installation]: 'other' } })).toMatch(/serves "inst-1"/);
    expect(problem(spec, ec2Settings({ driver: 'ec2', name: 'a', region: 'r', subnetId: 'subnet-0abc' }))).toMatch(/no flavor/);
    expect(problem({ ...spec, userData: 'x'.repeat(maxUserDataBytes) })).toMatch(/user data is/);
  });
});

describe('user data', () => {
  it('installs the keys for root, and adds the spec user data as a second part', () => {
    expect(rootKeysCloudConfig(['ssh-ed25519 AAAA a'])).toBe(
      '#cloud-config\ndisable_root: false\nssh_pwauth: false\nusers:\n  - name: root\n    ssh_authorized_keys:\n      - "ssh-ed25519 AAAA a"\n',
    );
    expect(userDataFor(['k'], undefined)).toMatch(/^#cloud-config/);
    const both = userDataFor(['k'], '#!/bin/sh\ntrue');
    expect(both).toMatch(/^Content-Type: multipart\/mixed/);
    expect(both).toContain('Content-Type: text/x-shellscript');
    expect(both).toContain('Content-Type: text/cloud-config');
  });
});
