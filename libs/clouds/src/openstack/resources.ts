import { InvalidSpecError } from '../errors.js';
import type { ApiRequest, OpenStackClient } from './client.js';
import type { ServiceType } from './config.js';
import { isNotFound } from './errors.js';

/** How long a name → id answer is trusted; an image replaced under the same name is picked up after this. */
const cacheTtlMs = 10 * 60_000;

const uuidLike = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A Nova flavor (GET /flavors/detail). */
export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

interface GlanceImage {
  id: string;
  name?: string;
  status?: string;
  created_at?: string;
}

interface NeutronNetwork {
  id: string;
  name?: string;
}

/**
 * Resolves what a launch names (image, flavor, network, security groups) to ids, with the
 * answers cached for ten minutes. A name that resolves to nothing is an InvalidSpecError; a
 * failed lookup is not cached. Lookups are shared between launches, so they run without any
 * one caller's signal (each call still has its timeout); the caller checks its signal after.
 */
export class Resources {
  readonly #cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    readonly client: OpenStackClient,
    readonly cloud: string,
  ) {}

  /** Forgets every answer, e.g. after Nova refused a launch that used them. */
  forget(): void {
    this.#cache.clear();
  }

  /** The id of the newest active Glance image named `name` (or with id `name`). */
  image(name: string): Promise<string> {
    return this.#cached(`image:${name}`, async () => {
      // Glance: GET /v2/images?name=
      const found = await this.#get<{ images: GlanceImage[] }>('image', '/images', { name });
      const active = (found?.images ?? []).filter((i) => i.status === 'active');
      active.sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
      const newest = active[0];
      if (newest) return newest.id;
      if (uuidLike.test(name)) {
        // Glance: GET /v2/images/{id}
        const byId = await this.#orNotFound(() => this.#get<GlanceImage>('image', `/images/${encodeURIComponent(name)}`));
        if (byId?.status === 'active') return byId.id;
      }
      throw this.#missing(`no active image named "${name}" in Glance`);
    });
  }

  /** The flavor named `name` (or with id `name`); without a name, the smallest with at least `cpus` and `memoryMb`. */
  async flavor(name: string | undefined, cpus: number, memoryMb: number): Promise<Flavor> {
    const flavors = await this.#cached('flavors', async () => {
      // Nova: GET /flavors/detail
      const found = await this.#get<{ flavors: Flavor[] }>('compute', '/flavors/detail');
      return found?.flavors ?? [];
    });
    if (name !== undefined) {
      const flavor = flavors.find((f) => f.name === name) ?? flavors.find((f) => f.id === name);
      const seen = flavors.map((f) => f.name).join(', ') || 'none';
      if (!flavor) throw this.#missing(`no flavor named "${name}" (the project sees ${seen})`);
      return flavor;
    }
    const fitting = flavors.filter((f) => f.vcpus >= cpus && f.ram >= memoryMb);
    fitting.sort((a, b) => a.vcpus - b.vcpus || a.ram - b.ram || a.disk - b.disk);
    const smallest = fitting[0];
    if (!smallest) throw this.#missing(`no flavor has ${cpus} vCPUs and ${memoryMb} MB; name one in the machine type's flavors`);
    return smallest;
  }

  /** The Neutron network named `name`, or with id `name`; two networks of one name are ambiguous. */
  network(name: string): Promise<NeutronNetwork> {
    return this.#cached(`network:${name}`, async () => {
      // Neutron: GET /v2.0/networks?name=
      const found = await this.#get<{ networks: NeutronNetwork[] }>('network', '/networks', { name });
      const networks = found?.networks ?? [];
      if (networks.length > 1) throw this.#missing(`${networks.length} networks are named "${name}"; give its id instead`);
      if (networks[0]) return networks[0];
      if (uuidLike.test(name)) {
        // Neutron: GET /v2.0/networks/{id}
        const byId = await this.#orNotFound(() => this.#get<{ network: NeutronNetwork }>('network', `/networks/${name}`));
        if (byId) return byId.network;
      }
      throw this.#missing(`no network named "${name}" in Neutron`);
    });
  }

  /** The ids of the project's security groups named `names` (every project has its own "default"). */
  securityGroups(names: readonly string[]): Promise<string[]> {
    return Promise.all(
      names.map((name) =>
        this.#cached(`security-group:${name}`, async () => {
          const projectId = await this.client.projectId();
          // Neutron: GET /v2.0/security-groups?name=&project_id=
          const query = { name, project_id: projectId };
          const found = await this.#get<{ security_groups: { id: string }[] }>('network', '/security-groups', query);
          const group = found?.security_groups[0];
          if (!group) throw this.#missing(`no security group named "${name}" in project ${projectId}`);
          return group.id;
        }),
      ),
    );
  }

  #get<T>(service: ServiceType, path: string, query?: ApiRequest['query']): Promise<T | undefined> {
    return this.client.request<T>({ service, method: 'GET', path, ...(query ? { query } : {}) });
  }

  #missing(what: string): InvalidSpecError {
    return new InvalidSpecError(this.cloud, what);
  }

  async #orNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  #cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < cacheTtlMs) return hit.value as Promise<T>;
    const value = load();
    this.#cache.set(key, { at: Date.now(), value });
    // a failure is not an answer: the next launch asks again
    value.catch(() => {
      if (this.#cache.get(key)?.value === value) this.#cache.delete(key);
    });
    return value;
  }
}
