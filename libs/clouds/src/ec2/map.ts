import type { Instance as Ec2Instance, Tag } from '@aws-sdk/client-ec2';
import { InstanceState, type Instance } from '../driver.js';

/** Every owner tag shares this prefix; other tags (Name, the account's cost tags) are not reported. */
export const ownerTagPrefix = 'hearth:';

/** EC2 instance state names that still hold an instance: list() asks for these, never `terminated`. */
export const liveStateNames = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] as const;

/** EC2 states that count against the account's running-instance and vCPU limits. */
export const countedStateNames = ['pending', 'running'] as const;

/** EC2's instance state name → Hearth's state (Libcloud's NODE_STATE_MAP). `terminated` is gone, not a state. */
const stateOfName: Readonly<Record<string, InstanceState>> = {
  pending: InstanceState.Pending,
  running: InstanceState.Running,
  'shutting-down': InstanceState.Deleting,
  stopping: InstanceState.Stopped,
  stopped: InstanceState.Stopped,
};

/** True when EC2 no longer holds the instance: describe() answers undefined for it. */
export function isGone(instance: Ec2Instance): boolean {
  return instance.State?.Name === 'terminated';
}

/** Maps an instance's state name to a state, with a fault wherever the state is `error`. */
export function instanceState(instance: Ec2Instance): { state: InstanceState; fault?: string } {
  const name = instance.State?.Name ?? 'unknown';
  const state = stateOfName[name];
  if (state === undefined) return { state: InstanceState.Error, fault: `unknown EC2 instance state "${name}"` };
  return { state };
}

/** The owner tags among an instance's tags. */
export function ownerTags(tags: readonly Tag[] | undefined): Record<string, string> {
  const owned: Record<string, string> = {};
  for (const { Key, Value } of tags ?? []) if (Key?.startsWith(ownerTagPrefix)) owned[Key] = Value ?? '';
  return owned;
}

/** EC2 tags (Key/Value pairs) from a record, in the record's order. */
export function toTags(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** The Instance for one EC2 instance of DescribeInstances. */
export function toInstance(instance: Ec2Instance): Instance {
  const { state, fault } = instanceState(instance);
  return {
    ref: { id: instance.InstanceId ?? '' },
    state,
    ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}),
    ...(instance.PublicIpAddress ? { publicIp: instance.PublicIpAddress } : {}),
    tags: ownerTags(instance.Tags),
    createdAt: instance.LaunchTime ?? new Date(0),
    ...(fault === undefined ? {} : { fault }),
    raw: instance,
  };
}
