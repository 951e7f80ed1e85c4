import { stateCodes, type FakeInstance } from './account.js';
import type { ActionContext } from './context.js';
import { el, set, type Xml, type XmlChild } from './xml.js';

/** `<tagSet>` of a tag map. */
export function tagSet(tags: ReadonlyMap<string, string>): Xml {
  return set('tagSet', [...tags], ([key, value]) => [el('key', key), el('value', value)]);
}

/** The members of a reservation before its instancesSet (API reference, Reservation). */
export function reservationXml(reservationId: string, ownerId: string, groups: readonly string[]): Xml[] {
  return [el('reservationId', reservationId), el('ownerId', ownerId), set('groupSet', groups, (g) => [el('groupId', g)])];
}

/** The state reason EC2 gives while shutting down or terminated. */
function stateReason(instance: FakeInstance): XmlChild {
  if (instance.terminatedAt === undefined) return undefined;
  return el('stateReason', el('code', 'Client.UserInitiatedShutdown'), el('message', 'Client.UserInitiatedShutdown: User initiated shutdown'));
}

/** The members of one `<item>` of an instancesSet (API reference, Instance). */
export function instanceItem(ctx: ActionContext, instance: FakeInstance): XmlChild[] {
  const state = ctx.account.state(instance);
  const gone = state === 'terminated';
  const shape = ctx.catalog.instanceTypes[instance.instanceType];
  const dns = `ip-${instance.privateIp.replace(/\./g, '-')}.${ctx.catalog.region}.compute.internal`;
  return [
    el('instanceId', instance.id),
    el('imageId', instance.imageId),
    el('instanceState', el('code', stateCodes[state]), el('name', state)),
    el('privateDnsName', gone ? '' : dns),
    el('dnsName', ''),
    el('reason', instance.terminatedAt === undefined ? '' : `User initiated (${new Date(instance.terminatedAt).toISOString()})`),
    instance.keyName === undefined ? undefined : el('keyName', instance.keyName),
    el('amiLaunchIndex', 0),
    el('productCodes'),
    el('instanceType', instance.instanceType),
    el('launchTime', new Date(instance.launchedAt).toISOString()),
    el('placement', el('availabilityZone', ctx.catalog.availabilityZone), el('groupName'), el('tenancy', 'default')),
    el('monitoring', el('state', 'disabled')),
    gone ? undefined : el('subnetId', instance.subnetId),
    gone ? undefined : el('vpcId', instance.vpcId),
    gone ? undefined : el('privateIpAddress', instance.privateIp),
    el('sourceDestCheck', true),
    set('groupSet', gone ? [] : instance.securityGroupIds, (g) => [el('groupId', g)]),
    stateReason(instance),
    el('architecture', 'x86_64'),
    el('rootDeviceType', 'ebs'),
    el('rootDeviceName', '/dev/xvda'),
    set('blockDeviceMapping', gone ? [] : [instance.volumeId], (v) => [
      el('deviceName', '/dev/xvda'),
      el('ebs', el('volumeId', v), el('status', 'attached'), el('deleteOnTermination', true)),
    ]),
    el('virtualizationType', 'hvm'),
    el('clientToken', instance.clientToken ?? ''),
    instance.tags.size > 0 ? tagSet(instance.tags) : undefined,
    el('hypervisor', 'xen'),
    el('ebsOptimized', false),
    shape ? el('cpuOptions', el('coreCount', Math.max(1, shape.vcpus / 2)), el('threadsPerCore', shape.vcpus > 1 ? 2 : 1)) : undefined,
    el('metadataOptions', el('state', 'applied'), el('httpTokens', 'required'), el('httpEndpoint', 'enabled')),
  ];
}
