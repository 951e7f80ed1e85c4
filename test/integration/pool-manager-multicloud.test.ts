import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { OwnerTag } from '@hearth/clouds';
import { analysisImage, containerGone, docker, removeByLabel } from '../helpers/docker-image.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, startPoolManager, type TestPoolManager } from '../helpers/pool-manager.js';
import { cloudConfigFor, fakeCredentialEnv, fakeIds, startEc2Fake, type Ec2Fake } from '../fakes/ec2/index.js';
import { ec2FakeSubnet, ofInstallation, startEc2Hypervisor, startOpenStackHypervisor, type Hypervisor } from '../fakes/hypervisor/index.js';
import { controlPlaneHint, controlPlaneNames, controlPlaneProblem, skipRequested } from '../fakes/openstack/control-plane.js';
import { openstackRig, type OpenStackRig } from '../fakes/openstack/setup.js';
import { describePoolManagerScenarios, type ScenarioCloud } from './pool-manager-scenarios.js';

// The pool manager's scenarios (pool-manager-scenarios.ts, the same as on Docker alone) with one
// machine type whose pools span three clouds: the local Docker engine, the real OpenStack
// control plane of ../shared/openstack/up.sh as the demo user, and the EC2 fake. Nova's fake
// virt driver and the EC2 fake boot nothing, so the emulated hypervisor runs a machine with real
// sshd at each running instance's fixed address; the drivers are the shipped ones, unchanged.

const problem = await controlPlaneProblem();

const clouds: readonly ScenarioCloud[] = [
  { name: 'docker', region: 'local' },
  { name: 'ec2', region: 'eu-west-1' },
  { name: 'openstack', region: 'site-a' },
];
const dockerNetwork = 'hearth-test-multicloud';

if (problem && skipRequested()) {
  describe.skip(`pool manager over docker, openstack and ec2 (skipped: ${problem}; HEARTH_SKIP_OPENSTACK=1)`, () => {
    it('needs the OpenStack control plane', () => undefined);
  });
} else {
  let nats: TestNatsServer;
  let pm: TestPoolManager;
  let image: string;
  let fake: Ec2Fake;
  let rig: OpenStackRig;
  const hypervisors = new Map<string, Hypervisor>();

  beforeAll(async () => {
    if (problem) throw new Error(`the OpenStack control plane is not reachable: ${problem}; ${controlPlaneHint}`);
    image = await analysisImage();
    nats = await startNatsServer();
    fake = await startEc2Fake({ region: 'eu-west-1', subnetCidr: ec2FakeSubnet });
    rig = await openstackRig('demo');
    // the pool manager's ec2 driver takes its credentials from the SDK's default chain
    for (const [key, value] of Object.entries(fakeCredentialEnv(fake))) vi.stubEnv(key, value);
    pm = await startPoolManager(nats.url, [
      ...machineType(0, 'analysis', [
        `images.default=${image}`,
        `images.openstack=${controlPlaneNames.image}`,
        `images.ec2=${fakeIds.image}`,
        `flavors.openstack=${controlPlaneNames.flavor}`,
        'flavors.ec2=t3.micro',
        'sudo=true',
        'idleLimitMs=4s',
        // Nova's fake driver goes ACTIVE in seconds, slower with two shared cores and other tests
        'bootTimeoutMs=180s',
      ]),
      `clouds[0]=${JSON.stringify({ name: 'docker', driver: 'docker', region: 'local', network: dockerNetwork })}`,
      `clouds[1]=${JSON.stringify(cloudConfigFor(fake, 'ec2'))}`,
      `clouds[2]=${JSON.stringify(rig.standaloneConfig({ name: 'openstack', region: 'site-a' }))}`,
      ...clouds.flatMap((c, i) => pool(i, 'analysis', c.name, 1, 4)),
      'poolManager.activityProbeIntervalMs=500',
      'poolManager.reclaimGraceMs=1s',
    ]);
    const accept = ofInstallation(pm.installation);
    hypervisors.set('ec2', await startEc2Hypervisor(fake, { docker: docker(), image, accept }));
    hypervisors.set('openstack', await startOpenStackHypervisor({ docker: docker(), image, accept }));
  }, 600_000);

  afterAll(async () => {
    await pm?.cleanup();
    // what the pool manager left on the clouds: delete it, so the hypervisors have nothing to run
    if (pm) await Promise.allSettled(clouds.map((c) => deleteAll(c.name)));
    await Promise.allSettled([...hypervisors.values()].map((hv) => hv.stop()));
    if (pm) await removeByLabel(`${OwnerTag.Installation}=${pm.installation}`);
    await rig?.close();
    await fake?.close();
    await nats?.cleanup();
    vi.unstubAllEnvs();
  }, 300_000);

  /** Deletes every instance of this installation on `cloud`, through the pool manager's driver. */
  async function deleteAll(cloud: string): Promise<void> {
    const driver = pm.running.engine.clouds.get(cloud)?.driver;
    if (!driver) return;
    const instances = await driver.list();
    await Promise.allSettled(instances.map((i) => driver.terminate(i.ref)));
  }

  /** Gone from the cloud (it no longer describes the instance), and its machine gone with it. */
  async function instanceGone(cloud: string, id: string): Promise<boolean> {
    if (cloud === 'docker') return containerGone(id);
    const described = await pm.running.engine.clouds.get(cloud)?.driver.describe({ id });
    if (described) return false;
    return !(await hypervisors.get(cloud)?.machines())?.has(id);
  }

  describePoolManagerScenarios('pool manager over docker, ec2 (fake) and openstack (real control plane)', { type: 'analysis', clouds, waitMs: 180_000 }, () => ({
    pm,
    leakSpec: async (cloud) => {
      if (cloud === 'docker') return { image, network: dockerNetwork };
      if (cloud === 'ec2') return { image: fakeIds.image, flavor: 't3.micro' };
      return { image: controlPlaneNames.image, flavor: controlPlaneNames.flavor };
    },
    instanceGone,
  }));
}
