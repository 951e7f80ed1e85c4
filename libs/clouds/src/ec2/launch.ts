import { createHash } from 'node:crypto';
import type { RunInstancesRequest, _InstanceType } from '@aws-sdk/client-ec2';
import type { LaunchSpec } from '../driver.js';
import { ownerTagsProblem } from '../owner-tags.js';
import type { Ec2Settings } from './config.js';
import { toTags } from './map.js';
import { encodeUserData, userDataFor } from './user-data.js';

/**
 * The ClientToken of a machine's RunInstances: the same for every launch of one machine id in
 * one installation, so a launch retried after a lost answer (or after a restart of Hearth)
 * gets the instance the first one made, never a second. EC2 takes up to 64 ASCII characters.
 */
export function clientTokenOf(installation: string, machineId: string): string {
  const digest = createHash('sha256').update(`${installation}\n${machineId}`).digest('hex');
  return `hearth-${digest.slice(0, 56)}`;
}

/** What EC2 would accept but Hearth must not: owner tags missing or naming another installation. */
export function specProblem(spec: LaunchSpec, installation: string): string | undefined {
  return ownerTagsProblem(spec.tags, installation);
}

/**
 * The RunInstances request of one machine (EC2 API reference: RunInstances). The owner tags
 * go on the instance and on its volumes at creation (TagSpecifications), so nothing of the
 * machine ever exists untagged; `Name` shows the machine id in the console. IMDSv2 only: a
 * user with root on the machine must not read instance credentials with a plain GET.
 * Returns the reason instead when the spec cannot be launched here.
 */
export function runInstancesInput(
  spec: LaunchSpec,
  settings: Ec2Settings,
  installation: string,
): { input: RunInstancesRequest } | { problem: string } {
  const problem = specProblem(spec, installation);
  if (problem) return { problem };
  const instanceType = spec.flavor ?? settings.instanceType;
  if (!instanceType) return { problem: 'the spec names no flavor and the cloud config no instanceType' };
  const userData = encodeUserData(userDataFor(spec.authorizedKeys, spec.userData));
  if ('problem' in userData) return userData;
  const tags = toTags({ Name: spec.machineId, ...spec.tags });
  return {
    input: {
      ImageId: spec.image,
      // EC2 checks the type; the SDK's union only lists the types it was generated with
      InstanceType: instanceType as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: spec.network ?? settings.subnetId,
      ...(settings.securityGroupIds.length > 0 ? { SecurityGroupIds: [...settings.securityGroupIds] } : {}),
      ...(settings.keyName === undefined ? {} : { KeyName: settings.keyName }),
      UserData: userData.base64,
      ClientToken: clientTokenOf(installation, spec.machineId),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
    },
  };
}
