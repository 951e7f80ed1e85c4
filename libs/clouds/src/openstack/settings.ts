import {
  compareMicroversions,
  defaultComputeMicroversion,
  defaultRequestTimeoutMs,
  minimumComputeMicroversion,
  type EndpointInterface,
  type OpenStackAuthConfig,
  type OpenStackConfig,
  type ServiceType,
} from './config.js';
import { findCloud, isRecord, kindOf, type Env, type FoundCloud } from './clouds-yaml.js';

/** A user or project named by id, or by name within a domain (itself named by id or name). */
export type Named = { id: string } | { name: string; domain: { id: string } | { name: string } };

/** What Keystone v3 is asked to authenticate with; never logged. */
export type Credentials =
  | { method: 'password'; authUrl: string; user: Named; password: string; project: Named }
  | { method: 'application_credential'; authUrl: string; id: string; secret: string }
  | { method: 'application_credential'; authUrl: string; name: string; secret: string; user: Named };

/** The settings an OpenStackDriver runs with: config and clouds.yaml merged, every default filled in. */
export interface OpenStackSettings {
  name: string;
  region: string;
  credentials: Credentials;
  /** The catalog region; undefined takes the first endpoint of the interface, whatever its region. */
  regionName?: string;
  interface: EndpointInterface;
  endpoints: Partial<Record<ServiceType, string>>;
  network?: string;
  securityGroups: readonly string[];
  keyName?: string;
  availabilityZone?: string;
  computeMicroversion: string;
  requestTimeoutMs: number;
  retries: number;
  pageSize: number;
  /** Where the credentials came from, for messages: `clouds.yaml /etc/openstack/clouds.yaml, cloud "site-a"`. */
  source: string;
}

/** clouds.yaml's snake_case auth keys, by the config's camelCase ones. */
const authKeys: Readonly<Record<keyof OpenStackAuthConfig, string>> = {
  authUrl: 'auth_url',
  authType: 'auth_type',
  username: 'username',
  userId: 'user_id',
  password: 'password',
  userDomainName: 'user_domain_name',
  userDomainId: 'user_domain_id',
  projectName: 'project_name',
  projectId: 'project_id',
  projectDomainName: 'project_domain_name',
  projectDomainId: 'project_domain_id',
  applicationCredentialId: 'application_credential_id',
  applicationCredentialName: 'application_credential_name',
  applicationCredentialSecret: 'application_credential_secret',
};

type Auth = Partial<Record<keyof OpenStackAuthConfig, string>>;

/** Reads the entry's auth (and auth_type, which sits beside it) as strings, naming any key of the wrong kind. */
function authOfEntry(found: FoundCloud): Auth {
  const where = `${found.file}: clouds.${found.name}`;
  const raw = found.entry['auth'] ?? {};
  if (!isRecord(raw)) throw new Error(`${where}.auth: expected a mapping, got ${kindOf(raw)}`);
  const auth: Auth = {};
  const source: Record<string, unknown> = { ...raw, auth_type: found.entry['auth_type'] };
  // project scope may be given with the old tenant_ names, and both domains by domain_id/domain_name
  source['project_name'] ??= raw['tenant_name'];
  source['project_id'] ??= raw['tenant_id'];
  for (const [key, snake] of Object.entries(authKeys) as [keyof OpenStackAuthConfig, string][]) {
    const value = source[snake] ?? (/_domain_(name|id)$/.test(snake) ? raw[snake.replace(/^(user|project)_/, '')] : undefined);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`${where}.${snake === 'auth_type' ? '' : 'auth.'}${snake}: expected text, got ${kindOf(value)}`);
    }
    auth[key] = String(value);
  }
  return auth;
}

function named(kind: 'user' | 'project', id?: string, name?: string, domainId?: string, domainName?: string): Named | string {
  if (id) return { id };
  if (!name) return `${kind}Id or ${kind}Name (clouds.yaml: ${kind === 'user' ? 'user_id or username' : 'project_id or project_name'})`;
  if (domainId) return { name, domain: { id: domainId } };
  if (domainName) return { name, domain: { name: domainName } };
  return `${kind}DomainName or ${kind}DomainId beside ${kind}Name (clouds.yaml: ${kind}_domain_name, or domain_name for both)`;
}

/** Builds the Keystone credentials, or lists what is missing. */
function credentialsOf(auth: Auth): Credentials | string[] {
  const missing: string[] = [];
  const authUrl = auth.authUrl ?? '';
  if (!authUrl) missing.push('authUrl (clouds.yaml: auth.auth_url)');
  const type = (auth.authType ?? 'password').replace(/^v3/, '').replace(/_/g, '');
  if (type === 'applicationcredential') {
    const secret = auth.applicationCredentialSecret ?? '';
    if (!secret) missing.push('applicationCredentialSecret (clouds.yaml: auth.application_credential_secret)');
    const id = auth.applicationCredentialId;
    if (id) return missing.length ? missing : { method: 'application_credential', authUrl, id, secret };
    const user = named('user', auth.userId, auth.username, auth.userDomainId, auth.userDomainName);
    if (!auth.applicationCredentialName) missing.push('applicationCredentialId, or applicationCredentialName with the user');
    if (typeof user === 'string') missing.push(user);
    if (missing.length || typeof user === 'string') return missing;
    return { method: 'application_credential', authUrl, name: auth.applicationCredentialName ?? '', secret, user };
  }
  if (type !== 'password') return [`authType password or v3applicationcredential (got "${auth.authType ?? ''}")`];
  const user = named('user', auth.userId, auth.username, auth.userDomainId, auth.userDomainName);
  const project = named('project', auth.projectId, auth.projectName, auth.projectDomainId, auth.projectDomainName);
  if (typeof user === 'string') missing.push(user);
  if (!auth.password) missing.push('password (clouds.yaml: auth.password, or secure.yaml)');
  if (typeof project === 'string') missing.push(project);
  if (missing.length || typeof user === 'string' || typeof project === 'string') return missing;
  return { method: 'password', authUrl, user, password: auth.password ?? '', project };
}

/** A string setting of the clouds.yaml entry, checked. */
function entryString(found: FoundCloud | undefined, key: string): string | undefined {
  const value = found?.entry[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${found?.file}: clouds.${found?.name}.${key}: expected text, got ${kindOf(value)}`);
  return value;
}

/** clouds.yaml's interface (or the old endpoint_type, `publicURL`), checked. */
function entryInterface(found: FoundCloud | undefined): EndpointInterface | undefined {
  const value = entryString(found, 'interface') ?? entryString(found, 'endpoint_type');
  if (value === undefined) return undefined;
  const word = value.replace(/URL$/, '');
  if (word === 'public' || word === 'internal' || word === 'admin') return word;
  throw new Error(`${found?.file}: clouds.${found?.name}.interface: expected public, internal or admin, got "${value}"`);
}

function endpointsOf(found: FoundCloud | undefined, config: OpenStackConfig): Partial<Record<ServiceType, string>> {
  const endpoints: Partial<Record<ServiceType, string>> = {};
  for (const type of ['compute', 'image', 'network'] as const) {
    const url = config.endpoints?.[type] ?? entryString(found, `${type}_endpoint_override`);
    if (url) endpoints[type] = url;
  }
  return endpoints;
}

/**
 * Merges the config section with its clouds.yaml entry (config wins) and fills in defaults.
 * `env` is the process environment (OS_CLOUD, OS_CLIENT_CONFIG_FILE, XDG_CONFIG_HOME, HOME).
 * @throws Error naming the cloud, the file and what is missing or malformed
 */
export function openstackSettings(config: OpenStackConfig, env: Env, cwd: string): OpenStackSettings {
  const label = `openstack cloud ${config.name}`;
  let found: FoundCloud | undefined;
  try {
    const { osCloud, cloudsFile } = config;
    found = findCloud({ env, cwd, ...(osCloud ? { cloud: osCloud } : {}), ...(cloudsFile ? { file: cloudsFile } : {}) });
  } catch (err) {
    throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const source = found ? `clouds.yaml ${found.file}, cloud "${found.name}"` : `the config of cloud ${config.name}`;
  const auth: Auth = { ...(found ? authOfEntry(found) : {}), ...config.auth };
  const credentials = credentialsOf(auth);
  if (Array.isArray(credentials)) {
    const hint = found ? '' : ' (no clouds.yaml cloud was named: set osCloud or OS_CLOUD, or give auth inline)';
    throw new Error(`${label}: incomplete credentials from ${source}${hint}; expected ${credentials.join('; ')}`);
  }
  const microversion = config.computeMicroversion ?? defaultComputeMicroversion;
  if (compareMicroversions(microversion, minimumComputeMicroversion) < 0) {
    throw new Error(`${label}: computeMicroversion: expected ${minimumComputeMicroversion} or newer (tags at create), got ${microversion}`);
  }
  const regionName = config.regionName ?? entryString(found, 'region_name');
  return {
    name: config.name,
    region: config.region,
    credentials,
    ...(regionName ? { regionName } : {}),
    interface: config.interface ?? entryInterface(found) ?? 'public',
    endpoints: endpointsOf(found, config),
    ...(config.network ? { network: config.network } : {}),
    securityGroups: config.securityGroups ?? [],
    ...(config.keyName ? { keyName: config.keyName } : {}),
    ...(config.availabilityZone ? { availabilityZone: config.availabilityZone } : {}),
    computeMicroversion: microversion,
    requestTimeoutMs: config.requestTimeoutMs ?? defaultRequestTimeoutMs,
    retries: config.retries ?? 3,
    pageSize: config.pageSize ?? 1000,
    source,
  };
}
