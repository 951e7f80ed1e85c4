import { describe, it } from 'vitest';
import { describeCloudDriver } from '@hearth/clouds/contract';
import { controlPlaneHint, controlPlaneProblem, skipRequested } from '../fakes/openstack/control-plane.js';
import { contractSetup } from '../fakes/openstack/setup.js';

// The openstack driver against the real control plane of ../shared/openstack/up.sh (Keystone,
// Nova with its fake virt driver, Glance, Neutron), through a fault-injecting proxy that
// passes everything through until a contract check arms a fault (quota, capacity, an
// unavailable API). Run once as the admin and once as the non-admin demo user, each with a
// clouds.yaml found the way the openstack CLI finds it.

const problem = await controlPlaneProblem();

if (problem && skipRequested()) {
  describe.skip(`cloud driver contract: openstack (skipped: ${problem}; HEARTH_SKIP_OPENSTACK=1)`, () => {
    it('needs the OpenStack control plane', () => undefined);
  });
} else {
  const setup = (user: 'admin' | 'demo') => async () => {
    if (problem) throw new Error(`the OpenStack control plane is not reachable: ${problem}; ${controlPlaneHint}`);
    return contractSetup(user);
  };
  describeCloudDriver('openstack as admin', setup('admin'));
  describeCloudDriver('openstack as demo (member only)', setup('demo'));
}
