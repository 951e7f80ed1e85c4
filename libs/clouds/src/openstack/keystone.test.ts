import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@hearth/log';
import { AuthError } from '../errors.js';
import type { OpenStackConfig } from './config.js';
import { OpenStackDriver } from './driver.js';
import { authBody, selectEndpoint, tokensUrl, type CatalogService } from './keystone.js';
import { LocalApi } from './local-api.js';

const log = createLogger({ service: 'test', level: 'silent' });

const catalog: CatalogService[] = [
  {
    type: 'compute',
    endpoints: [
      { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'https://nova.one/v2.1' },
      { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova.one.internal/v2.1' },
      { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: 'https://nova.two/v2.1' },
    ],
  },
  { type: 'image', endpoints: [{ interface: 'public', region: 'RegionTwo', url: 'https://glance.two' }] },
];

describe('openstack catalog selection', () => {
  it('picks the endpoint of the service type, interface and region', () => {
    expect(selectEndpoint(catalog, 'compute', 'public', 'RegionTwo')).toBe('https://nova.two/v2.1');
    expect(selectEndpoint(catalog, 'compute', 'internal', 'RegionOne')).toBe('http://nova.one.internal/v2.1');
  });

  it('takes the first endpoint of the interface when no region is set', () => {
    expect(selectEndpoint(catalog, 'compute', 'public', undefined)).toBe('https://nova.one/v2.1');
  });

  it('matches the old region field when region_id is absent', () => {
    expect(selectEndpoint(catalog, 'image', 'public', 'RegionTwo')).toBe('https://glance.two');
  });

  it('finds nothing for a missing interface, region or type', () => {
    expect(selectEndpoint(catalog, 'compute', 'admin', 'RegionOne')).toBeUndefined();
    expect(selectEndpoint(catalog, 'image', 'public', 'RegionOne')).toBeUndefined();
    expect(selectEndpoint(catalog, 'network', 'public', undefined)).toBeUndefined();
  });
});

describe('keystone auth requests', () => {
  it('adds /v3 to an auth URL without it', () => {
    expect(tokensUrl('https://k.example/')).toBe('https://k.example/v3/auth/tokens');
    expect(tokensUrl('https://k.example/v3/')).toBe('https://k.example/v3/auth/tokens');
  });

  it('scopes a password token to the project, by names within domains', () => {
    const body = authBody({
      method: 'password',
      authUrl: 'x',
      user: { name: 'demo', domain: { name: 'Default' } },
      password: 'pw',
      project: { id: 'p-1' },
    });
    expect(body).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'pw' } } },
        scope: { project: { id: 'p-1' } },
      },
    });
  });

  it('sends an application credential without a scope', () => {
    expect(authBody({ method: 'application_credential', authUrl: 'x', id: 'ac-1', secret: 's' })).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 's' } } },
    });
  });
});

describe('openstack token lifecycle', () => {
  let api: LocalApi;
  let now: number;

  beforeEach(async () => {
    api = await LocalApi.start();
    now = Date.now();
    api.on('GET', /^\/compute\/v2\.1\/flavors/, { status: 200, body: { flavors: [] } });
  });
  afterEach(() => api.close());

  function driver(): OpenStackDriver {
    const config: OpenStackConfig = {
      driver: 'openstack',
      name: 'os-local',
      region: 'local',
      auth: { authUrl: api.authUrl, username: 'demo', userDomainName: 'Default', password: 'pw', projectName: 'demo', projectDomainName: 'Default' },
      retries: 0,
    };
    return new OpenStackDriver(config, { log, installation: 'inst-1', env: {}, now: () => now });
  }

  it('issues one token for concurrent calls and reuses it while it is fresh', async () => {
    const d = driver();
    await Promise.all([d.probe(), d.probe(), d.probe()]);
    await d.probe();
    expect(api.tokensIssued).toBe(1);
    expect(new Set(api.callsTo('GET', /flavors/).map((c) => c.token))).toEqual(new Set(['tok-1']));
  });

  it('renews the token five minutes before it expires', async () => {
    const d = driver();
    await d.probe();
    now += 54 * 60_000;
    await d.probe();
    expect(api.tokensIssued).toBe(1);
    now += 2 * 60_000;
    await d.probe();
    expect(api.tokensIssued).toBe(2);
    expect(api.callsTo('GET', /flavors/).at(-1)?.token).toBe('tok-2');
  });

  it('renews a short-lived token at half its lifetime', async () => {
    api.tokenLifetimeMs = 60_000;
    const d = driver();
    await d.probe();
    now += 31_000;
    await d.probe();
    expect(api.tokensIssued).toBe(2);
  });

  it('re-authenticates once when a service refuses the token, then succeeds', async () => {
    api.onNext('GET', /flavors/, { status: 401, body: { error: { code: 401, message: 'The request you have made requires authentication.' } } });
    const d = driver();
    await d.probe();
    expect(api.tokensIssued).toBe(2);
    expect(api.callsTo('GET', /flavors/).map((c) => c.token)).toEqual(['tok-1', 'tok-2']);
  });

  it('rejects with AuthError when the new token is refused too', async () => {
    api.on('GET', /flavors/, { status: 401, body: { error: { code: 401, message: 'The request you have made requires authentication.' } } });
    const err = await driver().probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(api.callsTo('GET', /flavors/)).toHaveLength(2);
  });

  it('rejects with AuthError when Keystone refuses the password, without saying it', async () => {
    api.on('POST', /auth\/tokens/, { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } });
    const err = await driver().probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(String((err as Error).message)).not.toContain('pw');
    expect(api.callsTo('POST', /auth\/tokens/)).toHaveLength(1);
  });
});
