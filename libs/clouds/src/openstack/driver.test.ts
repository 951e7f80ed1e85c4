import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@hearth/log';
import { OwnerTag, type LaunchSpec } from '../driver.js';
import type { OpenStackConfig } from './config.js';
import { OpenStackDriver } from './driver.js';
import { LocalApi } from './local-api.js';

// What the driver sends: the POST /servers body and the headers, over real HTTP to a
// loopback server that answers lookups the way Glance, Nova and Neutron do.

const log = createLogger({ service: 'test', level: 'silent' });
const serverUuid = '6f2b9f3e-41a4-4c55-9a53-0d4c3c9e7a11';

const spec: LaunchSpec = {
  machineId: 'm-1',
  type: 'analysis-1',
  image: 'cirros-fake',
  cpus: 2,
  memoryMb: 2048,
  tags: { [OwnerTag.Installation]: 'inst-1', [OwnerTag.Machine]: 'm-1', [OwnerTag.Type]: 'analysis-1' },
  authorizedKeys: ['ssh-ed25519 AAAA test'],
};

describe('openstack launch request', () => {
  let api: LocalApi;

  beforeEach(async () => {
    api = await LocalApi.start();
    api.on('GET', /^\/image\/v2\/images\?name=cirros-fake/, { status: 200, body: { images: [
      { id: 'img-old', status: 'active', created_at: '2025-01-01T00:00:00Z' },
      { id: 'img-new', status: 'active', created_at: '2026-01-01T00:00:00Z' },
      { id: 'img-queued', status: 'queued', created_at: '2026-06-01T00:00:00Z' },
    ] } });
    api.on('GET', /^\/compute\/v2\.1\/flavors\/detail/, { status: 200, body: { flavors: [
      { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 },
      { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
      { id: '2', name: 'm1.small', vcpus: 2, ram: 2048, disk: 20 },
    ] } });
    api.on('GET', /^\/network\/v2\.0\/networks\?name=private/, { status: 200, body: { networks: [{ id: 'net-1', name: 'private' }] } });
    api.on('GET', /^\/network\/v2\.0\/security-groups\?name=ssh&project_id=p-1/, { status: 200, body: { security_groups: [{ id: 'sg-1' }] } });
    api.on('POST', /^\/compute\/v2\.1\/servers$/, { status: 202, body: { server: { id: serverUuid } } });
  });
  afterEach(() => api.close());

  const driver = (overrides: Partial<OpenStackConfig> = {}): OpenStackDriver =>
    new OpenStackDriver(
      {
        driver: 'openstack',
        name: 'os-local',
        region: 'local',
        auth: { authUrl: api.authUrl, userId: 'u-1', password: 'pw', projectId: 'p-1' },
        network: 'private',
        ...overrides,
      },
      { log, installation: 'inst-1', env: {} },
    );

  const sent = (): Record<string, unknown> => (api.callsTo('POST', /\/servers$/)[0]?.body as { server: Record<string, unknown> }).server;

  it('creates one server named after the machine, with owner tags, installation tag and root keys', async () => {
    const ref = await driver({ securityGroups: ['ssh'], keyName: 'ops', availabilityZone: 'az-2' }).launch(spec);
    expect(ref).toEqual({ id: serverUuid });
    const server = sent();
    expect(server).toMatchObject({
      name: 'm-1',
      imageRef: 'img-new',
      // no flavor named: the smallest with 2 vCPUs and 2048 MB
      flavorRef: '2',
      networks: [{ uuid: 'net-1' }],
      metadata: spec.tags,
      tags: ['hearth:installation=inst-1'],
      security_groups: [{ name: 'sg-1' }],
      key_name: 'ops',
      availability_zone: 'az-2',
    });
    expect(Buffer.from(String(server['user_data']), 'base64').toString()).toContain('ssh_authorized_keys: ["ssh-ed25519 AAAA test"]');
  });

  it('sends the compute microversion with every Nova call, and the token with every call', async () => {
    await driver({ computeMicroversion: '2.60' }).launch({ ...spec, flavor: 'm1.tiny' });
    const novaCalls = api.calls.filter((c) => c.path.startsWith('/compute/'));
    expect(novaCalls.map((c) => c.headers['openstack-api-version'])).toEqual(novaCalls.map(() => 'compute 2.60'));
    expect(api.calls.filter((c) => !c.path.startsWith('/v3/')).every((c) => c.token === 'tok-1')).toBe(true);
    expect(sent()['flavorRef']).toBe('1');
  });

  it('attaches to a port given as port:<id> without looking it up', async () => {
    await driver({ network: 'port:0c1e5a3e-8d4f-4f7c-9a8b-1f2e3d4c5b6a' }).launch(spec);
    expect(sent()['networks']).toEqual([{ port: '0c1e5a3e-8d4f-4f7c-9a8b-1f2e3d4c5b6a' }]);
    expect(api.callsTo('GET', /\/networks/)).toHaveLength(0);
  });

  it('looks each name up once for many launches', async () => {
    const d = driver();
    await Promise.all([d.launch(spec), d.launch({ ...spec, machineId: 'm-2', tags: { ...spec.tags, [OwnerTag.Machine]: 'm-2' } })]);
    expect(api.callsTo('GET', /\/images\?/)).toHaveLength(1);
    expect(api.callsTo('GET', /\/flavors\/detail/)).toHaveLength(1);
    expect(api.callsTo('POST', /\/servers$/)).toHaveLength(2);
  });

  it('refuses tags of another installation, and metadata values over 255 characters, before any call', async () => {
    const other = { ...spec, tags: { ...spec.tags, [OwnerTag.Installation]: 'inst-2' } };
    await expect(driver().launch(other)).rejects.toThrow(/this driver serves "inst-1"/);
    const long = { ...spec, tags: { ...spec.tags, [OwnerTag.Type]: 't'.repeat(256) } };
    await expect(driver().launch(long)).rejects.toThrow(/longer than Nova's 255 characters/);
    expect(api.calls).toHaveLength(0);
  });
});
