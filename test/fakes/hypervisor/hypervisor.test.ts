import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceState, type CloudDriver, type InstanceRef } from '@hearth/clouds';
import { generateKeyPair, SshSession } from '@hearth/ssh';
import { analysisImage, docker } from '../../helpers/docker-image.js';
import { waitFor } from '../../helpers/wait-for.js';
import { driverFor, newInstallation, specMaker as ec2Spec, startEc2Fake, type Ec2Fake } from '../ec2/index.js';
import { controlPlaneHint, controlPlaneProblem, skipRequested } from '../openstack/control-plane.js';
import { openstackRig, specMaker as openstackSpec, type OpenStackRig } from '../openstack/setup.js';
import { ec2FakeSubnet, ofInstallation, rootKeysOfUserData, startEc2Hypervisor, startOpenStackHypervisor, type Hypervisor } from './index.js';

// The emulated hypervisor behind the two clouds that boot nothing: an instance the real driver
// launches gets a machine with real sshd at the address the cloud reports, root logs in with
// the key the launch asked for, and the machine goes when the instance does.

const ada = generateKeyPair('ada@hypervisor-test');

/** Logs in as root at `ip` with ada's key and says which addresses the machine has. */
async function addressesAt(ip: string): Promise<string> {
  const session = await SshSession.open({ host: ip, username: 'root', privateKey: ada.privateKey }, 5_000);
  try {
    return (await session.exec('hostname -I')).stdout;
  } finally {
    session.close();
  }
}

/** Runs one instance's life through the hypervisor: launch, machine at its address, login, delete, machine gone. */
async function lifeOfOneInstance(driver: CloudDriver, hv: Hypervisor, launch: () => Promise<InstanceRef>, budgetMs: number): Promise<void> {
  // 1. the real driver launches; the cloud makes it running with a fixed address
  const ref = await launch();
  const running = await waitFor(
    async () => {
      const instance = await driver.describe(ref);
      return instance?.state === InstanceState.Running && instance.privateIp ? instance : undefined;
    },
    { what: `instance ${ref.id} running with an address`, timeoutMs: budgetMs, intervalMs: 250 },
  );
  const ip = running.privateIp ?? '';
  // 2. the hypervisor runs its machine at exactly that address, and root gets in with the launch's key
  await waitFor(async () => (await hv.machines()).get(ref.id)?.privateIp === ip, { what: `a machine for ${ref.id} at ${ip} (last error: ${String(hv.lastError)})`, timeoutMs: budgetMs });
  const addresses = await waitFor(() => addressesAt(ip), { what: `root login at ${ip}`, timeoutMs: 60_000, intervalMs: 250 });
  expect(addresses.split(/\s+/)).toContain(ip);
  // 3. someone else's key is refused
  const mallory = generateKeyPair('mallory');
  await expect(SshSession.open({ host: ip, username: 'root', privateKey: mallory.privateKey }, 5_000)).rejects.toThrow(/authentication/i);
  // 4. deleting the instance removes the machine
  await driver.terminate(ref);
  await waitFor(async () => !(await hv.machines()).has(ref.id), { what: `machine of ${ref.id} removed`, timeoutMs: budgetMs });
}

describe('reading root keys from user data', () => {
  it('takes the keys cloud-init gives root, from plain and multipart user data', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 a@b';
    expect(rootKeysOfUserData(`#cloud-config\ndisable_root: false\nssh_authorized_keys: ${JSON.stringify([key])}\n`)).toEqual([key]);
    expect(rootKeysOfUserData(`#cloud-config\nssh_authorized_keys: ${JSON.stringify([key])}\n`)).toEqual([]);
    const multipart = [
      'Content-Type: multipart/mixed; boundary="XX"',
      'MIME-Version: 1.0',
      '',
      '--XX',
      'Content-Type: text/cloud-config; charset="utf-8"',
      '',
      '#cloud-config',
      'users:',
      '  - name: root',
      `    ssh_authorized_keys: [${JSON.stringify(key)}]`,
      '--XX',
      'Content-Type: text/x-shellscript',
      '',
      '#!/bin/sh',
      'echo hi',
      '--XX--',
      '',
    ].join('\n');
    expect(rootKeysOfUserData(multipart)).toEqual([key]);
    expect(rootKeysOfUserData(undefined)).toEqual([]);
  });
});

describe('emulated hypervisor behind the EC2 fake', () => {
  let fake: Ec2Fake;
  let hv: Hypervisor;
  const installation = newInstallation('hv');

  beforeAll(async () => {
    const image = await analysisImage();
    fake = await startEc2Fake({ subnetCidr: ec2FakeSubnet });
    hv = await startEc2Hypervisor(fake, { docker: docker(), image, accept: ofInstallation(installation) });
  }, 600_000);

  afterAll(async () => {
    await hv?.stop();
    await fake?.close();
  });

  it('runs a machine with sshd at the instance\'s address while it runs, and removes it at termination', { timeout: 180_000 }, async () => {
    const driver = driverFor(fake, installation);
    const spec = ec2Spec(installation);
    await lifeOfOneInstance(driver, hv, () => driver.launch(spec({ authorizedKeys: [ada.publicKey] })), 60_000);
  });

  it('gives no machine to an instance it was told to leave alone', { timeout: 60_000 }, async () => {
    const foreign = fake.addForeign({ 'hearth:installation': 'someone-else' });
    await hv.settled();
    expect((await hv.machines()).has(foreign.id)).toBe(false);
  });
});

const problem = await controlPlaneProblem();

describe.skipIf(problem !== undefined && skipRequested())(`emulated hypervisor behind the real OpenStack control plane${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let rig: OpenStackRig;
  let hv: Hypervisor;
  const installation = newInstallation('hv');

  beforeAll(async () => {
    if (problem) throw new Error(`the OpenStack control plane is not reachable: ${problem}; ${controlPlaneHint}`);
    const image = await analysisImage();
    rig = await openstackRig('demo');
    hv = await startOpenStackHypervisor({ docker: docker(), image, accept: ofInstallation(installation) });
  }, 600_000);

  afterAll(async () => {
    await hv?.stop();
    await rig?.close();
  }, 120_000);

  it('runs a machine for a demo user\'s server at its fixed address, with the keys from its user data', { timeout: 300_000 }, async () => {
    const driver = rig.driver(installation);
    const spec = openstackSpec(installation, 'hv');
    await lifeOfOneInstance(driver, hv, () => driver.launch(spec({ authorizedKeys: [ada.publicKey] })), 120_000);
  });
});
