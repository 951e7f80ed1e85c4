import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { environment } from '@hearth/config';

/**
 * Keystone of the control plane `../shared/openstack/up.sh` starts (see its README), or of
 * another one with the same users, flavors, image and network (HEARTH_OPENSTACK_AUTH_URL).
 */
export const keystoneUrl = environment()['HEARTH_OPENSTACK_AUTH_URL'] || 'http://127.0.0.1:5000/v3';

/** The users up.sh makes: admin (roles admin, member, reader on project admin) and demo (member on demo). */
export const controlPlaneUsers = {
  admin: { username: 'admin', password: 'secret', project_name: 'admin' },
  demo: { username: 'demo', password: 'secret', project_name: 'demo' },
} as const;
export type ControlPlaneUser = keyof typeof controlPlaneUsers;

/** What up.sh creates: flavors m1.tiny and m1.small, image cirros-fake, shared network private. */
export const controlPlaneNames = { flavor: 'm1.tiny', image: 'cirros-fake', network: 'private', region: 'RegionOne' } as const;

/** Why the control plane cannot be used, or undefined when Keystone answers. */
export async function controlPlaneProblem(): Promise<string | undefined> {
  try {
    const res = await fetch(keystoneUrl, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) return undefined;
    return `Keystone at ${keystoneUrl} answered ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `Keystone at ${keystoneUrl} does not answer (${cause?.code ?? cause?.message ?? String(err)})`;
  }
}

/** How to get it, for the failure message. */
export const controlPlaneHint =
  'start it with `SKIP_SMOKE=1 bash ../shared/openstack/up.sh` from the repository root (./hearth test does this as root), ' +
  'or set HEARTH_SKIP_OPENSTACK=1 to skip the OpenStack tests';

/** True when the environment asks to skip the OpenStack tests. */
export function skipRequested(): boolean {
  return environment()['HEARTH_SKIP_OPENSTACK'] === '1';
}

/** A temporary directory holding a clouds.yaml (and optionally a secure.yaml), as an operator writes them. */
export interface CloudsYamlDir {
  dir: string;
  cloudsFile: string;
  secureFile?: string;
  remove(): Promise<void>;
}

/**
 * Writes clouds.yaml with one cloud `name` for `user` at `authUrl`. With `passwordInSecureYaml`
 * the password goes to `<dir>/openstack/secure.yaml` instead, found through XDG_CONFIG_HOME=dir.
 */
export async function writeCloudsYaml(
  name: string,
  user: ControlPlaneUser,
  authUrl: string,
  opts: { passwordInSecureYaml?: boolean } = {},
): Promise<CloudsYamlDir> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-clouds-yaml-'));
  const { password, ...identity } = controlPlaneUsers[user];
  const auth = { auth_url: authUrl, ...identity, user_domain_name: 'Default', project_domain_name: 'Default' };
  const entry = { auth: opts.passwordInSecureYaml ? auth : { ...auth, password }, region_name: controlPlaneNames.region, interface: 'public', identity_api_version: 3 };
  const cloudsFile = join(dir, 'clouds.yaml');
  await writeFile(cloudsFile, stringify({ clouds: { [name]: entry } }));
  let secureFile: string | undefined;
  if (opts.passwordInSecureYaml) {
    await mkdir(join(dir, 'openstack'));
    secureFile = join(dir, 'openstack', 'secure.yaml');
    await writeFile(secureFile, stringify({ clouds: { [name]: { auth: { password } } } }));
  }
  return { dir, cloudsFile, ...(secureFile ? { secureFile } : {}), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** An application credential of one user, made straight through Keystone; remove() deletes it. */
export interface ApplicationCredential {
  id: string;
  secret: string;
  remove(): Promise<void>;
}

/** Keystone: POST /v3/auth/tokens as `user`, then POST /v3/users/{user_id}/application_credentials. */
export async function createApplicationCredential(user: ControlPlaneUser, name: string): Promise<ApplicationCredential> {
  const { username, password, project_name } = controlPlaneUsers[user];
  const domain = { name: 'Default' };
  const auth = await fetch(`${keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: username, domain, password } } },
        scope: { project: { name: project_name, domain } },
      },
    }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const userId = ((await auth.json()) as { token: { user: { id: string } } }).token.user.id;
  const headers = { 'Content-Type': 'application/json', 'X-Auth-Token': token };
  const made = await fetch(`${keystoneUrl}/users/${userId}/application_credentials`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ application_credential: { name, description: 'hearth openstack driver test' } }),
  });
  if (made.status !== 201) throw new Error(`creating application credential ${name}: Keystone answered ${made.status} ${await made.text()}`);
  const { id, secret } = ((await made.json()) as { application_credential: { id: string; secret: string } }).application_credential;
  return {
    id,
    secret,
    remove: async () => {
      await fetch(`${keystoneUrl}/users/${userId}/application_credentials/${id}`, { method: 'DELETE', headers });
    },
  };
}
