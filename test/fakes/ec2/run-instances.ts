import { Ec2ApiError, newId, type FakeInstance } from './account.js';
import type { ActionContext } from './context.js';
import { instanceItem, reservationXml } from './instance-xml.js';
import type { QueryParams } from './query.js';
import { response, set } from './xml.js';

/** Resource types TagSpecification may name for a RunInstances (API reference, TagSpecification). */
const taggableAtLaunch = new Set(['instance', 'volume', 'network-interface', 'spot-instances-request']);

/** EC2 user data limit, before base64 (RunInstances, UserData). */
const maxUserDataBytes = 16_384;

function required(params: QueryParams, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

function checkId(value: string, prefix: string, family: string, known: ReadonlySet<string>, what: string): void {
  if (!new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(value)) throw new Ec2ApiError(`${family}.Malformed`, `Invalid id: "${value}"`);
  if (!known.has(value)) throw new Ec2ApiError(`${family}.NotFound`, `The ${what} '${value}' does not exist`);
}

function checkTags(tags: Record<string, string>): void {
  const keys = Object.keys(tags);
  if (keys.length > 50) throw new Ec2ApiError('InvalidParameterValue', 'A resource can have at most 50 tags');
  for (const key of keys) {
    if (key === '' || key.length > 128) throw new Ec2ApiError('InvalidParameterValue', `Tag key '${key}' must be 1 to 128 characters`);
    if (key.toLowerCase().startsWith('aws:')) throw new Ec2ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved`);
    if ((tags[key] ?? '').length > 256) throw new Ec2ApiError('InvalidParameterValue', `Tag value of '${key}' is longer than 256 characters`);
  }
}

/** TagSpecification.N → tags by resource type. */
function tagSpecifications(params: QueryParams): { instance: Record<string, string>; volume: Record<string, string> } {
  const out = { instance: {}, volume: {} };
  for (const spec of params.structs('TagSpecification')) {
    const type = spec.get('ResourceType') ?? '';
    if (!taggableAtLaunch.has(type)) throw new Ec2ApiError('InvalidParameterValue', `'${type}' is not a valid taggable resource type for this operation.`);
    const tags = spec.tags('Tag');
    checkTags(tags);
    if (type === 'instance' || type === 'volume') Object.assign(out[type], tags);
  }
  return out;
}

function userDataOf(params: QueryParams): string | undefined {
  const encoded = params.get('UserData');
  if (encoded === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Ec2ApiError('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length > maxUserDataBytes) throw new Ec2ApiError('InvalidParameterValue', `User data is limited to ${maxUserDataBytes} bytes`);
  return bytes.toString('utf8');
}

/** Refuses a launch over the account's running-instance or vCPU limit. */
function checkLimits(ctx: ActionContext, count: number, vcpus: number): void {
  const counted = ctx.account.counted();
  const room = ctx.limits.instances - counted.length;
  if (count > room) {
    throw new Ec2ApiError('InstanceLimitExceeded', `Your quota allows for ${Math.max(0, room)} more running instance(s). You requested at least ${count}.`);
  }
  const used = counted.reduce((sum, i) => sum + (ctx.catalog.instanceTypes[i.instanceType]?.vcpus ?? 0), 0);
  if (used + count * vcpus > ctx.limits.vcpus) {
    throw new Ec2ApiError(
      'VcpuLimitExceeded',
      `You have requested more vCPU capacity than your current vCPU limit of ${ctx.limits.vcpus} allows for the instance bucket that the specified instance type belongs to.`,
    );
  }
}

/** The reservation's answer (also the answer to a repeated ClientToken: the same instances, as they are now). */
function answer(ctx: ActionContext, instances: readonly FakeInstance[]): string {
  const first = instances[0];
  return response(
    'RunInstances',
    ctx.requestId,
    ...reservationXml(first?.reservationId ?? '', ctx.catalog.ownerId, first?.securityGroupIds ?? []),
    set('instancesSet', instances, (i) => instanceItem(ctx, i)),
  );
}

/**
 * EC2: RunInstances. Checks what the API reference says it checks (image, type, subnet, groups,
 * key pair, user data, tags, limits), honours ClientToken (the same token and parameters
 * answer the first launch's instances; other parameters are IdempotentParameterMismatch), and
 * starts each instance `pending`.
 */
export function runInstances(ctx: ActionContext): string {
  const { params, catalog, account } = ctx;
  const token = params.get('ClientToken');
  const fingerprint = params.fingerprint(['ClientToken', 'DryRun']);
  if (token !== undefined) {
    if (token.length > 64) throw new Ec2ApiError('InvalidParameterValue', 'ClientToken is longer than 64 characters');
    const seen = account.clientTokens.get(token);
    if (seen && seen.fingerprint !== fingerprint) {
      throw new Ec2ApiError('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    }
    if (seen) return answer(ctx, seen.instances);
  }
  const minCount = Number(required(params, 'MinCount'));
  const maxCount = Number(required(params, 'MaxCount'));
  if (!Number.isInteger(minCount) || minCount < 1 || !Number.isInteger(maxCount) || maxCount < minCount) {
    throw new Ec2ApiError('InvalidParameterValue', 'MinCount and MaxCount must be whole numbers with 1 <= MinCount <= MaxCount');
  }
  const imageId = required(params, 'ImageId');
  checkId(imageId, 'ami', 'InvalidAMIID', catalog.images, 'image id');
  const instanceType = params.get('InstanceType') ?? 'm1.small';
  const shape = catalog.instanceTypes[instanceType];
  if (!shape) throw new Ec2ApiError('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
  const subnetId = params.get('SubnetId') ?? [...catalog.subnets][0] ?? '';
  checkId(subnetId, 'subnet', 'InvalidSubnetID', catalog.subnets, 'subnet ID');
  const groups = params.list('SecurityGroupId');
  for (const group of groups) checkId(group, 'sg', 'InvalidGroup', catalog.securityGroups, 'security group');
  const keyName = params.get('KeyName');
  if (keyName !== undefined && !catalog.keyPairs.has(keyName)) throw new Ec2ApiError('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
  const userData = userDataOf(params);
  const tags = tagSpecifications(params);
  checkLimits(ctx, minCount, shape.vcpus);
  // EC2 launches as many as MaxCount when there is room, and at least MinCount or none
  const room = ctx.limits.instances - account.counted().length;
  const count = Math.max(minCount, Math.min(maxCount, room));
  if (params.get('DryRun') === 'true') throw new Ec2ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
  const reservationId = newId('r');
  const instances = Array.from({ length: count }, (): FakeInstance => {
    const instance: FakeInstance = {
      id: newId('i'),
      reservationId,
      seq: account.nextSeq(),
      imageId,
      instanceType,
      subnetId,
      vpcId: catalog.vpcId,
      privateIp: account.nextPrivateIp(),
      securityGroupIds: groups,
      ...(keyName === undefined ? {} : { keyName }),
      ...(userData === undefined ? {} : { userData }),
      ...(token === undefined ? {} : { clientToken: token }),
      tags: new Map(Object.entries(tags.instance)),
      volumeId: newId('vol'),
      volumeTags: new Map(Object.entries(tags.volume)),
      launchedAt: account.now(),
    };
    account.instances.set(instance.id, instance);
    return instance;
  });
  if (token !== undefined) account.clientTokens.set(token, { fingerprint, instances });
  return answer(ctx, instances);
}
