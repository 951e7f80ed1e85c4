import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@hearth/log';
import { OwnerTag, type LaunchSpec } from '../driver.js';
import {
  AbortedError,
  AuthError,
  CapacityError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
  type CloudError,
} from '../errors.js';
import type { OpenStackConfig } from './config.js';
import { OpenStackDriver } from './driver.js';
import { LocalApi, type Reply } from './local-api.js';

// Error mapping through real HTTP: a loopback server answers with the bodies Nova, Neutron
// and Keystone send (recorded from the Zed control plane, or quoted from the API reference).

const log = createLogger({ service: 'test', level: 'silent' });
const installation = 'inst-1';
const serverUuid = '6f2b9f3e-41a4-4c55-9a53-0d4c3c9e7a11';

const spec: LaunchSpec = {
  machineId: 'm-1',
  type: 'analysis-1',
  image: 'cirros-fake',
  flavor: 'm1.tiny',
  cpus: 1,
  memoryMb: 512,
  tags: { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: 'm-1', [OwnerTag.Type]: 'analysis-1' },
  network: 'private',
  authorizedKeys: ['ssh-ed25519 AAAA test'],
};

const nova = (status: number, kind: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { [kind]: { code: status, message } },
  ...(headers ? { headers } : {}),
});

describe('openstack error mapping', () => {
  let api: LocalApi;

  beforeEach(async () => {
    api = await LocalApi.start();
    // the newest handler answers first: the catch-all before the specific one
    api.on('GET', /^\/image\/v2\/images\?name=/, { status: 200, body: { images: [] } });
    api.on('GET', /^\/image\/v2\/images\?name=cirros-fake/, { status: 200, body: { images: [{ id: 'img-1', name: 'cirros-fake', status: 'active' }] } });
    api.on('GET', /^\/compute\/v2\.1\/flavors\/detail/, { status: 200, body: { flavors: [{ id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 }] } });
    api.on('GET', /^\/network\/v2\.0\/networks\?name=private/, { status: 200, body: { networks: [{ id: 'net-1', name: 'private' }] } });
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
        retries: 2,
        ...overrides,
      },
      { log, installation, env: {} },
    );

  const launchError = (reply: Reply): Promise<unknown> => {
    api.on('POST', /^\/compute\/v2\.1\/servers$/, reply);
    return driver().launch(spec).catch((err: unknown) => err);
  };

  it.each([
    ['403 quota exceeded', nova(403, 'forbidden', 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances'), QuotaExceededError],
    ['413 quota (old Nova)', nova(413, 'overLimit', 'Quota exceeded for cores: Requested 4, but already used 20 of 20 cores'), QuotaExceededError],
    ['409 Neutron over quota', { status: 409, body: { NeutronError: { type: 'OverQuota', message: "Quota exceeded for resources: ['port'].", detail: '' } } }, QuotaExceededError],
    ['500 no valid host', nova(500, 'computeFault', 'No valid host was found. There are not enough hosts available.'), CapacityError],
    ['400 bad request', nova(400, 'badRequest', "Invalid input for field/attribute imageRef. Value: nope. 'nope' is not valid"), InvalidSpecError],
    ['403 policy', nova(403, 'forbidden', 'Policy does not allow os_compute_api:servers:create to be performed.'), AuthError],
    ['503 unavailable', nova(503, 'computeFault', 'Service Unavailable'), CloudUnavailableError],
    ['502 from a load balancer', { status: 502, body: '<html>Bad Gateway</html>' }, CloudUnavailableError],
  ])('maps a launch answered %s', async (_what, reply, type) => {
    const err = await launchError(reply);
    expect(err).toBeInstanceOf(type);
    expect((err as CloudError).cloud).toBe('os-local');
    expect((err as Error).message).toMatch(/^launching machine m-1 on os-local: /);
  });

  it('sends a create once when Nova answers 5xx: it may have acted on it', async () => {
    const err = await launchError(nova(503, 'computeFault', 'Service Unavailable'));
    expect((err as CloudError).retryable).toBe(true);
    expect(api.callsTo('POST', /\/servers$/)).toHaveLength(1);
  });

  it('sends a throttled create again after Retry-After', async () => {
    api.onNext('POST', /^\/compute\/v2\.1\/servers$/, nova(429, 'overLimit', 'This request was rate-limited.', { 'Retry-After': '0' }), 2);
    await expect(driver().launch(spec)).resolves.toEqual({ id: serverUuid });
    expect(api.callsTo('POST', /\/servers$/)).toHaveLength(3);
  });

  it('reads again after a 503 and gives up with CloudUnavailableError after the retries', async () => {
    api.on('GET', /servers\//, { status: 200, body: { server: { id: serverUuid, status: 'ACTIVE', created: '2026-01-01T00:00:00Z', metadata: {} } } });
    api.onNext('GET', /servers\//, nova(503, 'computeFault', 'Service Unavailable', { 'Retry-After': '0' }), 2);
    await expect(driver().describe({ id: serverUuid })).resolves.toMatchObject({ state: 'running' });
    api.on('GET', /servers\//, nova(503, 'computeFault', 'Service Unavailable', { 'Retry-After': '0' }));
    const err = await driver().describe({ id: serverUuid }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudUnavailableError);
    expect(api.callsTo('GET', /servers\//)).toHaveLength(3 + 3);
  });

  it('treats 404 as gone in describe, terminate and tag', async () => {
    const d = driver();
    await expect(d.describe({ id: serverUuid })).resolves.toBeUndefined();
    await expect(d.terminate({ id: serverUuid })).resolves.toBeUndefined();
    await expect(d.tag({ id: serverUuid }, { [OwnerTag.User]: 'ada' })).resolves.toBeUndefined();
    expect(api.callsTo('DELETE', /servers/)).toHaveLength(1);
  });

  it('rejects an unknown image with InvalidSpecError before any create', async () => {
    const err = await driver().launch({ ...spec, image: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSpecError);
    expect((err as Error).message).toContain('no active image named "nope"');
    expect(api.callsTo('POST', /\/servers$/)).toHaveLength(0);
  });

  it('rejects an aborted call with AbortedError and sends nothing', async () => {
    const err = await driver().list({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(api.calls).toHaveLength(0);
  });

  it('maps an API nobody answers to CloudUnavailableError', async () => {
    // a port that was just free: nothing listens there
    const closed = await LocalApi.start();
    const port = new URL(closed.authUrl).port;
    await closed.close();
    const d = driver({ retries: 0, endpoints: { compute: `http://127.0.0.1:${port}/v2.1` } });
    const err = await d.probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudUnavailableError);
    expect((err as Error).message).toMatch(/cannot reach the API \(ECONNREFUSED\)/);
  });

  it('names the catalog when it has no endpoint for the region', async () => {
    const err = await driver({ regionName: 'RegionNine' }).probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSpecError);
    expect((err as Error).message).toContain('no public compute endpoint in region RegionNine');
    expect((err as Error).message).toContain('public in RegionOne');
  });
});
