import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import {
  createDriver,
  OpenStackClient,
  OwnerTag,
  openstackSettings,
  type CloudDriver,
  type LaunchSpec,
  type OpenStackConfig,
} from '@hearth/clouds';
import type { ContractSetup } from '@hearth/clouds/contract';
import { environment } from '@hearth/config';
import { createLogger, type Logger } from '@hearth/log';
import { controlPlaneNames, controlPlaneUsers, keystoneUrl, writeCloudsYaml, type CloudsYamlDir, type ControlPlaneUser } from './control-plane.js';
import { OpenStackProxy } from './proxy.js';

export const silentLog: Logger = createLogger({ service: 'contract', level: 'silent' });

/** One user's view of the control plane through a fresh proxy, with a clouds.yaml like an operator's. */
export interface OpenStackRig {
  proxy: OpenStackProxy;
  yaml: CloudsYamlDir;
  cloudName: string;
  user: ControlPlaneUser;
  /** The config section of a driver for this rig; `overrides` replace keys. */
  config(overrides?: Partial<OpenStackConfig>): OpenStackConfig;
  /**
   * A config that needs nothing from the environment (clouds.yaml named in it, the password
   * inline), for a pool manager that makes its drivers long after this setup ran.
   */
  standaloneConfig(overrides?: Partial<OpenStackConfig>): OpenStackConfig;
  /** A driver made from config() with the rig's clouds.yaml. */
  driver(installation: string, overrides?: Partial<OpenStackConfig>): CloudDriver;
  /** A raw client of the same project, for what the driver must not do (foreign servers). */
  client(): OpenStackClient;
  close(): Promise<void>;
}

/**
 * admin finds its clouds.yaml the way the openstack CLI does, through OS_CLIENT_CONFIG_FILE
 * and OS_CLOUD; demo names the file and cloud in the driver config and keeps its password in
 * secure.yaml under XDG_CONFIG_HOME. Either way Keystone's URL in the file is the proxy's.
 */
export async function openstackRig(user: ControlPlaneUser): Promise<OpenStackRig> {
  const proxy = await OpenStackProxy.start();
  const cloudName = `hearth-${user}`;
  const viaEnv = user === 'admin';
  const yaml = await writeCloudsYaml(cloudName, user, proxy.via(keystoneUrl), { passwordInSecureYaml: !viaEnv });
  const env: Record<string, string> = viaEnv
    ? { OS_CLIENT_CONFIG_FILE: yaml.cloudsFile, OS_CLOUD: cloudName }
    : { XDG_CONFIG_HOME: yaml.dir, OS_CLIENT_CONFIG_FILE: '', OS_CLOUD: '' };
  const config = (overrides: Partial<OpenStackConfig> = {}): OpenStackConfig => ({
    driver: 'openstack',
    name: `os-${user}`,
    region: 'site-a',
    ...(viaEnv ? {} : { osCloud: cloudName, cloudsFile: yaml.cloudsFile }),
    network: controlPlaneNames.network,
    securityGroups: ['default'],
    requestTimeoutMs: 60_000,
    ...overrides,
  });
  /** Runs `make` with the rig's environment in process.env, as an operator's shell would have it. */
  const withEnv = <T>(make: () => T): T => {
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
    try {
      return make();
    } finally {
      vi.unstubAllEnvs();
    }
  };
  return {
    proxy,
    yaml,
    cloudName,
    user,
    config,
    standaloneConfig: (overrides = {}) =>
      config({ osCloud: cloudName, cloudsFile: yaml.cloudsFile, auth: { password: controlPlaneUsers[user].password }, ...overrides }),
    driver: (installation, overrides) => withEnv(() => createDriver(config(overrides), { log: silentLog, installation })),
    client: () => withEnv(() => new OpenStackClient(openstackSettings(config(), environment(), process.cwd()), silentLog)),
    close: async () => {
      await proxy.close();
      await yaml.remove();
    },
  };
}

/** Launch specs of one installation on the control plane's m1.tiny and cirros-fake. */
export function specMaker(installation: string, prefix: string): (overrides?: Partial<LaunchSpec>) => LaunchSpec {
  let sequence = 0;
  return (overrides = {}) => {
    sequence += 1;
    const machineId = `${prefix}-${installation}-${sequence}`;
    return {
      machineId,
      type: 'analysis-1',
      image: controlPlaneNames.image,
      flavor: controlPlaneNames.flavor,
      cpus: 1,
      memoryMb: 512,
      tags: { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: 'analysis-1' },
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIContractSuiteKeyOnly hearth-contract'],
      ...overrides,
    };
  };
}

/** Creates a server straight through Nova, without the driver: untagged, or with `metadata`. */
async function rawServer(client: OpenStackClient, name: string, metadata: Record<string, string>): Promise<string> {
  const [images, flavors, networks] = await Promise.all([
    client.request<{ images: { id: string }[] }>({ service: 'image', method: 'GET', path: '/images', query: { name: controlPlaneNames.image } }),
    client.request<{ flavors: { id: string; name: string }[] }>({ service: 'compute', method: 'GET', path: '/flavors' }),
    client.request<{ networks: { id: string }[] }>({ service: 'network', method: 'GET', path: '/networks', query: { name: controlPlaneNames.network } }),
  ]);
  const server = {
    name,
    imageRef: images?.images[0]?.id,
    flavorRef: flavors?.flavors.find((f) => f.name === controlPlaneNames.flavor)?.id,
    networks: [{ uuid: networks?.networks[0]?.id }],
    metadata,
  };
  const created = await client.request<{ server: { id: string } }>({ service: 'compute', method: 'POST', path: '/servers', body: { server } });
  if (!created) throw new Error('Nova returned no server');
  return created.server.id;
}

/** The contract setup for one user of the control plane. */
export async function contractSetup(user: ControlPlaneUser): Promise<ContractSetup> {
  const rig = await openstackRig(user);
  const installation = `contract-${randomUUID().slice(0, 8)}`;
  const driver = rig.driver(installation);
  const client = rig.client();
  const foreignIds: string[] = [];
  return {
    driver,
    spec: specMaker(installation, 'm'),
    installation,
    // the fake virt driver goes ACTIVE in seconds, but two shared cores and eight parallel boots slow it
    waitBudgetMs: 120_000,
    unknownRef: { id: randomUUID() },
    faults: {
      quota: async () => rig.proxy.nextLaunchError('quota'),
      capacity: async () => rig.proxy.nextLaunchError('capacity'),
      unavailable: async () => rig.proxy.nextLaunchError('unavailable'),
      reset: async () => rig.proxy.reset(),
    },
    foreign: async () => {
      foreignIds.push(await rawServer(client, `foreign-untagged-${installation}`, {}));
      foreignIds.push(await rawServer(client, `foreign-other-${installation}`, { [OwnerTag.Installation]: `other-${installation}` }));
    },
    cleanup: async () => {
      await Promise.allSettled(foreignIds.map((id) => client.request({ service: 'compute', method: 'DELETE', path: `/servers/${id}` })));
      await driver.close();
      await rig.close();
    },
  };
}
