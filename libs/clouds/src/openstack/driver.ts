import { environment } from '@hearth/config';
import type { Logger } from '@hearth/log';
import {
  DriverKind,
  OwnerTag,
  type CallOptions,
  type CloudDriver,
  type Instance,
  type InstanceRef,
  type LaunchSpec,
  type Quota,
} from '../driver.js';
import { InvalidSpecError, throwIfAborted } from '../errors.js';
import { ownerTagsProblem, retagProblem } from '../owner-tags.js';
import { OpenStackClient, type ApiRequest } from './client.js';
import type { Method } from './http.js';
import { openstackSettings, type OpenStackSettings } from './settings.js';
import type { Env } from './clouds-yaml.js';
import type { OpenStackConfig } from './config.js';
import { classify, isNotFound } from './errors.js';
import { installationTag, isGone, tagsProblem, toInstance, type NovaServer } from './map.js';
import { Resources } from './resources.js';
import { encodeUserData, userDataMaxBytes } from './user-data.js';

/** What an OpenStackDriver needs besides its settings. */
export interface OpenStackDeps {
  log: Logger;
  /** This installation's id: launch checks it, list() returns only servers tagged with it. */
  installation: string;
  /** The clock for token renewal; tests move it. */
  now?: () => number;
  /** Where OS_CLOUD, OS_CLIENT_CONFIG_FILE and the clouds.yaml search path come from; the process's when absent. */
  env?: Env;
  /** The working directory the search starts in; the process's when absent. */
  cwd?: string;
}

/** A launch's network that names a Neutron port (`port:<id>`) rather than a network. */
const portPrefix = 'port:';

/** Nova server ids are UUIDs; anything else names no server, so it is not sent to Nova at all. */
const serverId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface NovaLimits {
  limits: { absolute: Record<string, number | undefined> };
}

/** Nova's -1 (unlimited) and a missing number are Infinity. */
function limit(value: number | undefined): number {
  return value === undefined || value < 0 ? Infinity : value;
}

/**
 * Machines as Nova servers in one project of one OpenStack region. A launch resolves the image
 * (Glance), flavor (Nova), network and security groups (Neutron) by name, then sends one
 * POST /servers carrying the owner tags as metadata, the installation as a server tag, and
 * the root keys as cloud-init user data. Like every driver, it translates and never waits.
 */
export class OpenStackDriver implements CloudDriver {
  readonly kind = DriverKind.OpenStack;
  readonly cloud: string;
  readonly region: string;
  readonly #settings: OpenStackSettings;
  readonly #client: OpenStackClient;
  readonly #resources: Resources;
  readonly #log: Logger;
  readonly #installation: string;
  readonly #tag: string;

  /** @throws Error naming the cloud, the clouds.yaml and what is missing, when the credentials are incomplete */
  constructor(config: OpenStackConfig, deps: OpenStackDeps) {
    const settings = openstackSettings(config, deps.env ?? environment(), deps.cwd ?? process.cwd());
    this.#settings = settings;
    this.cloud = settings.name;
    this.region = settings.region;
    this.#log = deps.log;
    this.#installation = deps.installation;
    this.#tag = installationTag(deps.installation);
    this.#client = new OpenStackClient(settings, deps.log, deps.now);
    this.#resources = new Resources(this.#client, settings.name);
  }

  /**
   * Resolves names, then creates the server. The signal is honoured until the create is sent,
   * never during it: a create Nova may have acted on must come back with its id, or the server
   * is a leak only the sweep would find. The create is never retried except on a 429.
   */
  async launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef> {
    const doing = `launching machine ${spec.machineId} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const problem = this.#specProblem(spec);
    if (problem) throw new InvalidSpecError(this.cloud, `${doing}: ${problem}`);
    const log = (opts?.log ?? this.#log).child({ machineId: spec.machineId, cloud: this.cloud });
    let body: unknown;
    try {
      body = await this.#createBody(spec);
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
    throwIfAborted(this.cloud, doing, opts?.signal);
    try {
      // Nova: POST /servers
      const created = await this.#nova<{ server: { id: string } }>('POST', '/servers', { body });
      const id = created?.server.id;
      if (!id) throw new Error('Nova accepted the server without returning its id');
      log.debug({ instanceId: id }, 'server created');
      return { id };
    } catch (err) {
      const error = classify(err, this.cloud, doing);
      // an image or flavor replaced under its name: look the names up again next time
      if (error instanceof InvalidSpecError) this.#resources.forget();
      throw error;
    }
  }

  async describe(ref: InstanceRef, opts?: CallOptions): Promise<Instance | undefined> {
    const doing = `describing instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    if (!serverId.test(ref.id)) return undefined;
    try {
      // Nova: GET /servers/{server_id}
      const found = await this.#nova<{ server: NovaServer }>('GET', `/servers/${ref.id}`, { signal: opts?.signal });
      if (!found || isGone(found.server)) return undefined;
      return toInstance(found.server, await this.#networkName());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classify(err, this.cloud, doing);
    }
  }

  /** Every server tagged with this installation (server tag, then metadata checked), page by page. */
  async list(opts?: CallOptions): Promise<Instance[]> {
    const doing = `listing instances on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    try {
      const network = await this.#networkName();
      const servers = await this.#servers(opts?.signal);
      return servers
        .filter((s) => !isGone(s) && s.metadata?.[OwnerTag.Installation] === this.#installation)
        .map((s) => toInstance(s, network));
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
  }

  async terminate(ref: InstanceRef, opts?: CallOptions): Promise<void> {
    const doing = `terminating instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    if (!serverId.test(ref.id)) return;
    try {
      // Nova: DELETE /servers/{server_id}
      await this.#nova('DELETE', `/servers/${ref.id}`, { signal: opts?.signal });
      (opts?.log ?? this.#log).debug({ cloud: this.cloud, instanceId: ref.id }, 'server delete accepted');
    } catch (err) {
      if (!isNotFound(err)) throw classify(err, this.cloud, doing);
    }
  }

  /** Merges `tags` into the server's metadata; a server that is gone is not an error. */
  async tag(ref: InstanceRef, tags: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void> {
    const doing = `tagging instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const problem = tagsProblem(tags);
    if (problem) throw new InvalidSpecError(this.cloud, `${doing}: ${problem}`);
    const retag = retagProblem(tags, this.#installation);
    if (retag) throw new InvalidSpecError(this.cloud, `${doing}: ${retag}`);
    if (!serverId.test(ref.id)) return;
    try {
      // Nova: POST /servers/{server_id}/metadata (merges; the same body twice gives the same result)
      const body = { metadata: tags };
      await this.#nova('POST', `/servers/${ref.id}/metadata`, { body, idempotent: true, signal: opts?.signal });
    } catch (err) {
      if (!isNotFound(err)) throw classify(err, this.cloud, doing);
    }
  }

  /** The project's absolute compute limits and use (Nova: GET /limits); -1 is Infinity. */
  async quota(opts?: CallOptions): Promise<Quota> {
    const doing = `reading quota of ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    let absolute: Record<string, number | undefined>;
    try {
      const found = await this.#nova<NovaLimits>('GET', '/limits', { signal: opts?.signal });
      absolute = found?.limits.absolute ?? {};
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
    const used = (key: string): number => absolute[key] ?? 0;
    return {
      limits: {
        instances: limit(absolute['maxTotalInstances']),
        cores: limit(absolute['maxTotalCores']),
        ramMb: limit(absolute['maxTotalRAMSize']),
      },
      used: { instances: used('totalInstancesUsed'), cores: used('totalCoresUsed'), ramMb: used('totalRAMUsed') },
    };
  }

  /** A token (issued or cached) and one flavor: the cheapest call that proves Keystone and Nova answer. */
  async probe(opts?: CallOptions): Promise<void> {
    const doing = `probing ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    try {
      // Nova: GET /flavors?limit=1
      await this.#nova('GET', '/flavors', { query: { limit: 1 }, signal: opts?.signal });
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
  }

  /** Nothing to release: fetch's connection pool is shared, and the token simply expires. */
  async close(): Promise<void> {}

  /** Nova: GET /servers/detail?tags=<installation tag>, following the marker while a next link is given. */
  async #servers(signal: AbortSignal | undefined): Promise<NovaServer[]> {
    const servers: NovaServer[] = [];
    let marker: string | undefined;
    for (;;) {
      const query = { tags: this.#tag, limit: this.#settings.pageSize, marker };
      const page = await this.#nova<{ servers: NovaServer[]; servers_links?: { rel: string }[] }>('GET', '/servers/detail', { query, signal });
      const batch = page?.servers ?? [];
      servers.push(...batch);
      const last = batch.at(-1);
      // the next link's host may be wrong behind a proxy: keep our base URL and take only the marker
      if (!last || !page?.servers_links?.some((l) => l.rel === 'next')) return servers;
      marker = last.id;
    }
  }

  /** The POST /servers body: names resolved, tags as metadata, keys and user data as cloud-init. */
  async #createBody(spec: LaunchSpec): Promise<unknown> {
    const settings = this.#settings;
    const [imageRef, flavor, network, securityGroups] = await Promise.all([
      this.#resources.image(spec.image),
      this.#resources.flavor(spec.flavor, spec.cpus, spec.memoryMb),
      this.#networkRef(spec.network ?? settings.network),
      this.#resources.securityGroups(settings.securityGroups),
    ]);
    const userData = encodeUserData(spec.authorizedKeys, spec.userData);
    if (userData && userData.length > userDataMaxBytes) {
      const size = `user data is ${userData.length} bytes in base64`;
      throw new InvalidSpecError(this.cloud, `${size}, above Nova's ${userDataMaxBytes}`);
    }
    return {
      server: {
        name: spec.machineId,
        imageRef,
        flavorRef: flavor.id,
        // microversion 2.37 wants networks said: the one named, else Nova's auto-allocated one
        networks: network ? [network] : 'auto',
        metadata: { ...spec.tags },
        tags: [this.#tag],
        ...(securityGroups.length ? { security_groups: securityGroups.map((id) => ({ name: id })) } : {}),
        ...(userData ? { user_data: userData } : {}),
        ...(settings.keyName ? { key_name: settings.keyName } : {}),
        ...(settings.availabilityZone ? { availability_zone: settings.availabilityZone } : {}),
      },
    };
  }

  /**
   * What to attach the server to: `port:<id>` is a Neutron port made beforehand (one server
   * only; Nova leaves it behind on delete), anything else a network name or id.
   */
  async #networkRef(network: string | undefined): Promise<{ port: string } | { uuid: string } | undefined> {
    if (!network) return undefined;
    if (network.startsWith(portPrefix)) return { port: network.slice(portPrefix.length) };
    return { uuid: (await this.#resources.network(network)).id };
  }

  /** The name of the configured network as Nova's `addresses` key it, so its address is the private one. */
  async #networkName(): Promise<string | undefined> {
    const network = this.#settings.network;
    if (!network || network.startsWith(portPrefix)) return undefined;
    try {
      return (await this.#resources.network(network)).name ?? network;
    } catch {
      return network;
    }
  }

  /** One Nova call (the client adds the microversion header). */
  #nova<T>(method: Method, path: string, more: Pick<ApiRequest, 'body' | 'query' | 'idempotent' | 'signal'> = {}): Promise<T | undefined> {
    return this.#client.request<T>({ service: 'compute', method, path, ...more });
  }


  /** What Nova would accept but Hearth must not: owner tags missing, wrong, or too long for metadata. */
  #specProblem(spec: LaunchSpec): string | undefined {
    return ownerTagsProblem(spec.tags, this.#installation) ?? tagsProblem(spec.tags);
  }
}
