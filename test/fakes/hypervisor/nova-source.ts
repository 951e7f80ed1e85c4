import { rootKeysOfUserData } from './cloud-init.js';
import type { EmulatedInstance, InstanceSource } from './source.js';

/** How a Nova source reaches the control plane: an admin (who may read every project's servers and their user data). */
export interface NovaSourceOptions {
  /** Keystone v3, e.g. `http://127.0.0.1:5000/v3`. */
  keystoneUrl: string;
  username: string;
  password: string;
  project: string;
  region?: string;
  /** The Neutron network whose fixed address is the instance's private address (the control plane's `private`). */
  network: string;
  /** Narrows the servers to those whose metadata it accepts (one installation's, say); every server when absent. */
  accept?: (metadata: Readonly<Record<string, string>>) => boolean;
  cloud?: string;
}

/** The parts of a Nova server this source reads (compute API, microversion 2.10). */
interface Server {
  id: string;
  status: string;
  user_id?: string;
  key_name?: string | null;
  metadata?: Record<string, string>;
  addresses?: Record<string, { addr: string; version?: number; 'OS-EXT-IPS:type'?: string }[]>;
  'OS-EXT-STS:task_state'?: string | null;
  /** Base64, admin only, microversion 2.3 and later. */
  'OS-EXT-SRV-ATTR:user_data'?: string | null;
}

interface Token {
  value: string;
  compute: string;
}

/**
 * Nova's running servers, as an admin sees them: GET /servers/detail?all_tenants=1 with
 * microversion 2.10, which shows `OS-EXT-SRV-ATTR:user_data` (2.3+) and lets an admin read
 * another user's key pair (GET /os-keypairs/{name}?user_id=, 2.10+). A server is running when
 * its status is ACTIVE and no delete is under way; its address is its fixed IPv4 on `network`.
 */
export function novaSource(opts: NovaSourceOptions): InstanceSource {
  let token: Promise<Token> | undefined;
  const keyPairs = new Map<string, string | undefined>();

  const call = async <T>(path: string, signal?: AbortSignal, retried = false): Promise<T> => {
    token ??= authenticate(opts);
    const { value, compute } = await token.catch((err: unknown) => {
      token = undefined;
      throw err;
    });
    const url = path.startsWith('http') ? path : `${compute}${path}`;
    const res = await fetch(url, {
      headers: { 'X-Auth-Token': value, 'OpenStack-API-Version': 'compute 2.10', Accept: 'application/json' },
      signal: signal ?? AbortSignal.timeout(30_000),
    });
    if (res.status === 401 && !retried) {
      token = undefined;
      return call(path, signal, true);
    }
    if (!res.ok) throw new Error(`nova ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  const keyOf = async (server: Server, signal?: AbortSignal): Promise<string | undefined> => {
    if (!server.key_name || !server.user_id) return undefined;
    const cacheKey = `${server.user_id}/${server.key_name}`;
    if (!keyPairs.has(cacheKey)) {
      const path = `/os-keypairs/${encodeURIComponent(server.key_name)}?user_id=${encodeURIComponent(server.user_id)}`;
      const found = await call<{ keypair: { public_key: string } }>(path, signal).catch(() => undefined);
      keyPairs.set(cacheKey, found?.keypair.public_key);
    }
    return keyPairs.get(cacheKey);
  };

  return {
    cloud: opts.cloud ?? 'openstack',
    running: async (signal) => {
      const out: EmulatedInstance[] = [];
      let next: string | undefined = '/servers/detail?all_tenants=1&limit=200';
      while (next) {
        const page: { servers: Server[]; servers_links?: { rel: string; href: string }[] } = await call(next, signal);
        for (const server of page.servers) {
          if (server.status !== 'ACTIVE' || server['OS-EXT-STS:task_state'] === 'deleting') continue;
          if (opts.accept && !opts.accept(server.metadata ?? {})) continue;
          const privateIp = (server.addresses?.[opts.network] ?? []).find((a) => a.version !== 6 && a['OS-EXT-IPS:type'] !== 'floating')?.addr;
          if (!privateIp) continue;
          const userData = server['OS-EXT-SRV-ATTR:user_data'];
          const keys = rootKeysOfUserData(userData ? Buffer.from(userData, 'base64').toString('utf8') : undefined);
          const pairKey = await keyOf(server, signal);
          out.push({ id: server.id, privateIp, authorizedKeys: pairKey ? [...keys, pairKey.trim()] : keys });
        }
        next = page.servers_links?.find((l) => l.rel === 'next')?.href;
      }
      return out;
    },
  };
}

/** Keystone: POST /v3/auth/tokens with a project scope; the compute endpoint comes from the token's catalog. */
async function authenticate(opts: NovaSourceOptions): Promise<Token> {
  const domain = { name: 'Default' };
  const res = await fetch(`${opts.keystoneUrl.replace(/\/$/, '')}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: opts.username, domain, password: opts.password } } },
        scope: { project: { name: opts.project, domain } },
      },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 201) throw new Error(`keystone refused ${opts.username}: ${res.status} ${await res.text()}`);
  const value = res.headers.get('x-subject-token') ?? '';
  const body = (await res.json()) as { token: { catalog?: { type: string; endpoints: { interface: string; region?: string; url: string }[] }[] } };
  const endpoints = body.token.catalog?.find((s) => s.type === 'compute')?.endpoints ?? [];
  const compute = endpoints.find((e) => e.interface === 'public' && (!opts.region || e.region === opts.region))?.url;
  if (!compute) throw new Error(`keystone's catalog for ${opts.username} has no public compute endpoint`);
  return { value, compute: compute.replace(/\/$/, '') };
}
