import type Docker from 'dockerode';
import { controlPlaneNames, controlPlaneUsers, keystoneUrl } from '../openstack/control-plane.js';
import type { Ec2Fake } from '../ec2/index.js';
import { ec2FakeSource } from './ec2-source.js';
import { Hypervisor } from './hypervisor.js';
import type { NetworkSpec } from './network.js';
import { novaSource } from './nova-source.js';

export { Hypervisor, HypervisorLabel } from './hypervisor.js';
export type { EmulatedMachine, HypervisorOptions } from './hypervisor.js';
export type { EmulatedInstance, InstanceSource } from './source.js';
export type { NetworkSpec } from './network.js';
export { rootKeysOfUserData } from './cloud-init.js';
export { ec2FakeSource } from './ec2-source.js';
export { novaSource } from './nova-source.js';

/** The control plane's shared `private` network (../shared/openstack/README.md): 10.0.0.0/24, Neutron's gateway .1. */
export const openstackNetwork: NetworkSpec = { name: 'hearth-hv-openstack', subnet: '10.0.0.0/24', gateway: '10.0.0.1' };

/**
 * The subnet to start the EC2 fake on (`startEc2Fake({ subnetCidr: ec2FakeSubnet })`) when a
 * hypervisor emulates it: its default 10.0.0.0/16 overlaps OpenStack's private network, and
 * Docker allows no two networks on overlapping subnets. 10.0.0.0/8 is outside Docker's default
 * address pools, so no network Docker picks by itself can clash either.
 */
export const ec2FakeSubnet = '10.1.0.0/16';

/** The EC2 fake's subnet as a Docker network; .1 is one of the four addresses AWS keeps. */
export const ec2Network: NetworkSpec = { name: 'hearth-hv-ec2', subnet: ec2FakeSubnet, gateway: '10.1.0.1' };

/** Only what carries `hearth:installation` = `installation` (as metadata or tags). */
export const ofInstallation =
  (installation: string) =>
  (tags: Readonly<Record<string, string>>): boolean =>
    tags['hearth:installation'] === installation;

/**
 * A hypervisor behind the real OpenStack control plane: it reads every project's servers as
 * admin, and runs the ACTIVE ones that `accept` takes (pass ofInstallation(id) so that servers
 * of other tests on the shared control plane get no machine).
 */
export function startOpenStackHypervisor(opts: {
  docker: Docker;
  image: string;
  accept?: (metadata: Readonly<Record<string, string>>) => boolean;
  intervalMs?: number;
}): Promise<Hypervisor> {
  const admin = controlPlaneUsers.admin;
  const source = novaSource({
    keystoneUrl,
    username: admin.username,
    password: admin.password,
    project: admin.project_name,
    region: controlPlaneNames.region,
    network: controlPlaneNames.network,
    ...(opts.accept ? { accept: opts.accept } : {}),
  });
  return Hypervisor.start({ docker: opts.docker, image: opts.image, source, network: openstackNetwork, ...(opts.intervalMs ? { intervalMs: opts.intervalMs } : {}) });
}

/** A hypervisor behind an EC2 fake started with `subnetCidr: ec2FakeSubnet`. */
export function startEc2Hypervisor(
  fake: Ec2Fake,
  opts: { docker: Docker; image: string; accept?: (tags: Readonly<Record<string, string>>) => boolean; intervalMs?: number },
): Promise<Hypervisor> {
  if (fake.account.subnetCidr !== ec2FakeSubnet) {
    throw new Error(`start the EC2 fake with subnetCidr: '${ec2FakeSubnet}' (it hands out ${fake.account.subnetCidr}, which the OpenStack network overlaps)`);
  }
  const source = ec2FakeSource(fake, opts.accept ? { accept: opts.accept } : {});
  return Hypervisor.start({ docker: opts.docker, image: opts.image, source, network: ec2Network, ...(opts.intervalMs ? { intervalMs: opts.intervalMs } : {}) });
}
