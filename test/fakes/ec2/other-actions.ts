import { Ec2ApiError, stateCodes } from './account.js';
import type { ActionContext } from './context.js';
import { el, response, set } from './xml.js';

/** Instance ids of a request, each well-formed and known (terminated ones are known until forgotten). */
function knownInstances(ctx: ActionContext, name: string): string[] {
  const ids = ctx.params.list(name);
  if (ids.length === 0) throw new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`);
  for (const id of ids) {
    if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new Ec2ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    if (!ctx.account.instances.has(id)) throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  }
  return ids;
}

/** EC2: TerminateInstances. Idempotent: terminating a terminated instance answers its state again. */
export function terminateInstances(ctx: ActionContext): string {
  const ids = knownInstances(ctx, 'InstanceId');
  const items = ids.flatMap((id) => {
    const instance = ctx.account.instances.get(id);
    if (!instance) return [];
    const previous = ctx.account.state(instance);
    instance.terminatedAt ??= ctx.account.now();
    const current = ctx.account.state(instance);
    return [{ id, previous, current }];
  });
  return response(
    'TerminateInstances',
    ctx.requestId,
    set('instancesSet', items, (i) => [
      el('instanceId', i.id),
      el('currentState', el('code', stateCodes[i.current]), el('name', i.current)),
      el('previousState', el('code', stateCodes[i.previous]), el('name', i.previous)),
    ]),
  );
}

/** EC2: CreateTags on instances (i-…) and their volumes (vol-…); adds keys and overwrites existing ones. */
export function createTags(ctx: ActionContext): string {
  const resources = ctx.params.list('ResourceId');
  if (resources.length === 0) throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter ResourceId');
  const tags = ctx.params.tags('Tag');
  if (Object.keys(tags).length === 0) throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter Tag');
  if (Object.keys(tags).some((k) => k.toLowerCase().startsWith('aws:'))) {
    throw new Ec2ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved`);
  }
  const targets = resources.map((id) => {
    if (id.startsWith('i-')) {
      const instance = ctx.account.instances.get(id);
      if (!instance) throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      return instance.tags;
    }
    const owner = [...ctx.account.instances.values()].find((i) => i.volumeId === id);
    if (!owner) throw new Ec2ApiError(id.startsWith('vol-') ? 'InvalidVolume.NotFound' : 'InvalidID', `The ID '${id}' is not valid`);
    return owner.volumeTags;
  });
  for (const target of targets) for (const [key, value] of Object.entries(tags)) target.set(key, value);
  return response('CreateTags', ctx.requestId, el('return', true));
}

/** EC2: DescribeAccountAttributes; `max-instances` is the fake's instance limit. */
export function describeAccountAttributes(ctx: ActionContext): string {
  const all: [string, string[]][] = [
    ['supported-platforms', ['VPC']],
    ['default-vpc', [ctx.catalog.vpcId]],
    ['max-instances', [String(ctx.limits.instances)]],
    ['vpc-max-security-groups-per-interface', ['5']],
    ['max-elastic-ips', ['5']],
    ['vpc-max-elastic-ips', ['5']],
  ];
  const wanted = ctx.params.list('AttributeName');
  const chosen = wanted.length === 0 ? all : all.filter(([name]) => wanted.includes(name));
  return response(
    'DescribeAccountAttributes',
    ctx.requestId,
    set('accountAttributeSet', chosen, ([name, values]) => [
      el('attributeName', name),
      set('attributeValueSet', values, (v) => [el('attributeValue', v)]),
    ]),
  );
}

/** EC2: DescribeInstanceTypes of InstanceType.N (every type the fake knows when none is named). */
export function describeInstanceTypes(ctx: ActionContext): string {
  const { instanceTypes } = ctx.catalog;
  const wanted = ctx.params.list('InstanceType');
  const unknown = wanted.filter((t) => !(t in instanceTypes));
  if (unknown.length > 0) {
    throw new Ec2ApiError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
  }
  const names = wanted.length > 0 ? wanted : Object.keys(instanceTypes);
  return response(
    'DescribeInstanceTypes',
    ctx.requestId,
    set('instanceTypeSet', names, (name) => {
      const shape = instanceTypes[name] ?? { vcpus: 0, memoryMiB: 0 };
      return [
        el('instanceType', name),
        el('currentGeneration', true),
        el('vCpuInfo', el('defaultVCpus', shape.vcpus), el('defaultCores', Math.max(1, shape.vcpus / 2)), el('defaultThreadsPerCore', shape.vcpus > 1 ? 2 : 1)),
        el('memoryInfo', el('sizeInMiB', shape.memoryMiB)),
      ];
    }),
  );
}
