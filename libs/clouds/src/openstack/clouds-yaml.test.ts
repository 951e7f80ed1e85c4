import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { candidateFiles, findCloud } from './clouds-yaml.js';
import type { OpenStackConfig } from './config.js';
import { openstackSettings } from './settings.js';

const config = (extra: Partial<OpenStackConfig> = {}): OpenStackConfig => ({ driver: 'openstack', name: 'os-a', region: 'site-a', ...extra });

const siteA = `clouds:
  site-a:
    auth:
      auth_url: https://keystone.site-a.example/v3
      username: hearth
      password: from-clouds-yaml
      project_name: analysis
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
    compute_endpoint_override: https://nova.site-a.example/v2.1
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.site-a.example
      application_credential_id: ac-123
      application_credential_secret: s3cret
`;

describe('clouds.yaml search path', () => {
  it('looks where the openstack CLI looks, OS_CLIENT_CONFIG_FILE first', () => {
    const env = { OS_CLIENT_CONFIG_FILE: '/x/mine.yaml', HOME: '/home/ada' };
    expect(candidateFiles('clouds', env, '/work')).toEqual([
      '/x/mine.yaml',
      '/work/clouds.yaml',
      '/work/clouds.yml',
      '/home/ada/.config/openstack/clouds.yaml',
      '/home/ada/.config/openstack/clouds.yml',
      '/etc/openstack/clouds.yaml',
      '/etc/openstack/clouds.yml',
    ]);
  });

  it('uses XDG_CONFIG_HOME for the user config directory, and OS_CLIENT_SECURE_FILE for secure.yaml', () => {
    const files = candidateFiles('secure', { XDG_CONFIG_HOME: '/cfg', OS_CLIENT_SECURE_FILE: '/s.yaml' }, '/work');
    expect(files.slice(0, 4)).toEqual(['/s.yaml', '/work/secure.yaml', '/work/secure.yml', '/cfg/openstack/secure.yaml']);
  });
});

describe('clouds.yaml reading', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-clouds-test-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes the cloud OS_CLOUD names from the working directory, secure.yaml merged over it', async () => {
    await writeFile(join(dir, 'clouds.yaml'), siteA);
    await mkdir(join(dir, 'xdg', 'openstack'), { recursive: true });
    await writeFile(join(dir, 'xdg', 'openstack', 'secure.yaml'), 'clouds:\n  site-a:\n    auth:\n      password: from-secure-yaml\n');
    const found = findCloud({ env: { OS_CLOUD: 'site-a', XDG_CONFIG_HOME: join(dir, 'xdg') }, cwd: dir });
    expect(found?.file).toBe(join(dir, 'clouds.yaml'));
    expect(found?.secureFile).toBe(join(dir, 'xdg', 'openstack', 'secure.yaml'));
    expect(found?.entry['auth']).toMatchObject({ username: 'hearth', password: 'from-secure-yaml' });
  });

  it('returns nothing when no cloud is named', () => {
    expect(findCloud({ env: {}, cwd: dir })).toBeUndefined();
  });

  it('names the file and the clouds it has when the cloud is missing', async () => {
    await writeFile(join(dir, 'clouds.yaml'), siteA);
    expect(() => findCloud({ env: {}, cwd: dir, cloud: 'nope' })).toThrow(`${join(dir, 'clouds.yaml')}: clouds.nope: no such cloud (the file has: site-a, appcred)`);
  });

  it('says where it looked when no clouds.yaml exists', () => {
    expect(() => findCloud({ env: { HOME: dir }, cwd: dir, cloud: 'site-a' })).toThrow(/no clouds.yaml exists; looked at .*\/etc\/openstack\/clouds.yml/);
  });

  it('turns a clouds.yaml entry into settings: credentials, region, interface, endpoint override', async () => {
    await writeFile(join(dir, 'clouds.yaml'), siteA);
    const settings = openstackSettings(config({ osCloud: 'site-a' }), { HOME: dir }, dir);
    expect(settings.credentials).toEqual({
      method: 'password',
      authUrl: 'https://keystone.site-a.example/v3',
      user: { name: 'hearth', domain: { name: 'Default' } },
      password: 'from-clouds-yaml',
      project: { name: 'analysis', domain: { name: 'Default' } },
    });
    expect(settings).toMatchObject({ regionName: 'RegionOne', interface: 'internal', endpoints: { compute: 'https://nova.site-a.example/v2.1' } });
    expect(settings.source).toBe(`clouds.yaml ${join(dir, 'clouds.yaml')}, cloud "site-a"`);
  });

  it('reads an application credential, and lets the config override clouds.yaml', async () => {
    await writeFile(join(dir, 'clouds.yaml'), siteA);
    const settings = openstackSettings(config({ osCloud: 'appcred', cloudsFile: join(dir, 'clouds.yaml'), regionName: 'RegionTwo', interface: 'public' }), {}, '/');
    expect(settings.credentials).toEqual({ method: 'application_credential', authUrl: 'https://keystone.site-a.example', id: 'ac-123', secret: 's3cret' });
    expect(settings).toMatchObject({ regionName: 'RegionTwo', interface: 'public' });
  });

  it('lists every missing credential, naming the clouds.yaml keys', async () => {
    await writeFile(join(dir, 'clouds.yaml'), 'clouds:\n  bare:\n    auth:\n      auth_url: https://k/v3\n      username: u\n');
    expect(() => openstackSettings(config({ osCloud: 'bare' }), { HOME: dir }, dir)).toThrow(
      /^openstack cloud os-a: incomplete credentials from clouds.yaml .*cloud "bare"; expected userDomainName or userDomainId .*; password \(clouds.yaml: auth.password, or secure.yaml\); projectId or projectName/,
    );
  });

  it('says how to name credentials when there are none at all', () => {
    expect(() => openstackSettings(config(), { HOME: dir }, dir)).toThrow(/no clouds.yaml cloud was named: set osCloud or OS_CLOUD, or give auth inline/);
  });

  it('names a malformed value with its path in the file', async () => {
    await writeFile(join(dir, 'clouds.yaml'), 'clouds:\n  odd:\n    auth:\n      auth_url: [1, 2]\n');
    expect(() => openstackSettings(config({ osCloud: 'odd' }), { HOME: dir }, dir)).toThrow(`${join(dir, 'clouds.yaml')}: clouds.odd.auth.auth_url: expected text, got a list`);
  });

  it('refuses a compute microversion older than tags at create', () => {
    const auth = { authUrl: 'https://k/v3', userId: 'u', password: 'p', projectId: 'p' };
    expect(() => openstackSettings(config({ auth, computeMicroversion: '2.26' }), {}, dir)).toThrow(/computeMicroversion: expected 2.52 or newer/);
  });
});
