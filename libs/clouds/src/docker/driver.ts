import Docker from 'dockerode';
import type Dockerode from 'dockerode';
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
import { InvalidSpecError, throwIfAborted, type CloudError } from '../errors.js';
import { ownerTagsProblem, retagProblem } from '../owner-tags.js';
import { dockerSettings, type DockerConfig, type DockerSettings } from './config.js';
import { classify, engineMessage, isNotFound, isRemovalInProgress } from './errors.js';
import { DriverLabel, foreignTagKey, labelFilter, toInstance, viewOfInspect, viewOfSummary, type StateContext } from './map.js';
import { Networks } from './networks.js';
import { TagVolumes } from './tag-volumes.js';

/** What a DockerDriver needs besides its config. */
export interface DockerDeps {
  log: Logger;
  /** This installation's id: launch checks it, list() returns only containers labelled with it. */
  installation: string;
}

/** Refs this driver hands out are full container ids; anything else names no machine of ours. */
const containerId = /^[0-9a-f]{64}$/;

/**
 * Machines as containers on the local Docker engine (Engine API v1.41, through dockerode).
 * A launch is one create and one start; the container's name and hostname are the machine
 * id, its labels the owner tags, and HEARTH_AUTHORIZED_KEYS carries the keys the image's
 * entrypoint installs for root. Like every driver, it translates and never waits: boot
 * polling, timeouts and retries live in the pool manager.
 */
export class DockerDriver implements CloudDriver {
  readonly kind = DriverKind.Docker;
  readonly cloud: string;
  readonly region: string;
  readonly #settings: DockerSettings;
  readonly #docker: Dockerode;
  readonly #log: Logger;
  readonly #installation: string;
  readonly #tags: TagVolumes;
  readonly #networks: Networks;
  /** Containers this driver has created and is starting (see neverStartedAfterMs). */
  readonly #starting = new Set<string>();

  constructor(config: DockerConfig, deps: DockerDeps) {
    this.#settings = dockerSettings(config);
    this.cloud = this.#settings.name;
    this.region = this.#settings.region;
    this.#log = deps.log;
    this.#installation = deps.installation;
    this.#docker = new Docker({ socketPath: this.#settings.socketPath, timeout: this.#settings.requestTimeoutMs });
    this.#tags = new TagVolumes(this.#docker, this.#installation);
    this.#networks = new Networks(this.#docker, this.#installation);
  }

  /**
   * Creates and starts the container. The signal is checked once, before anything is made:
   * a create the engine has begun must come back with its id, or the container is a leak
   * only the sweep would find.
   */
  async launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef> {
    const doing = `launching machine ${spec.machineId} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const problem = this.#specProblem(spec);
    if (problem) throw new InvalidSpecError(this.cloud, `${doing}: ${problem}`);
    const network = spec.network ?? this.#settings.network;
    let container: Dockerode.Container;
    try {
      await this.#networks.ensure(network);
      // Engine API: POST /containers/create?name=<machineId>
      container = await this.#docker.createContainer(createOptions(spec, network));
    } catch (err) {
      throw this.#launchError(err, network, doing);
    }
    this.#starting.add(container.id);
    try {
      // Engine API: POST /containers/{id}/start
      await container.start();
    } catch (err) {
      // a container that cannot start never boots; left behind it would only sit in `pending`
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw this.#launchError(err, network, doing);
    } finally {
      this.#starting.delete(container.id);
    }
    (opts?.log ?? this.#log).debug({ machineId: spec.machineId, cloud: this.cloud, instanceId: container.id }, 'container started');
    return { id: container.id };
  }

  #context(id: string): StateContext {
    return { now: Date.now(), starting: this.#starting.has(id) };
  }

  async describe(ref: InstanceRef, opts?: CallOptions): Promise<Instance | undefined> {
    const doing = `describing instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    if (!containerId.test(ref.id)) return undefined;
    const signal = opts?.signal;
    try {
      const [info, added] = await Promise.all([
        // Engine API: GET /containers/{id}/json
        this.#docker.getContainer(ref.id).inspect(signal ? { abortSignal: signal } : {}),
        this.#tags.read(ref.id, signal),
      ]);
      return toInstance(viewOfInspect(info), added, info, this.#context(info.Id));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classify(err, this.cloud, doing);
    }
  }

  async list(opts?: CallOptions): Promise<Instance[]> {
    const doing = `listing instances on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    try {
      const [containers, added] = await Promise.all([this.#containers(opts?.signal), this.#tags.readAll(opts?.signal)]);
      return containers.map((c) => toInstance(viewOfSummary(c), added.get(c.Id) ?? {}, c, this.#context(c.Id)));
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
  }

  /** Removes the container (forced: a machine has nothing to save) and then its tag volumes. */
  async terminate(ref: InstanceRef, opts?: CallOptions): Promise<void> {
    const doing = `terminating instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    if (!containerId.test(ref.id)) return;
    try {
      // Engine API: DELETE /containers/{id}?force=true&v=true
      await this.#docker.getContainer(ref.id).remove({ force: true, v: true });
    } catch (err) {
      // gone already, or another terminate is removing it: either way it is going
      if (!isNotFound(err) && !isRemovalInProgress(err)) throw classify(err, this.cloud, doing);
    }
    try {
      await this.#tags.removeAll(ref.id);
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
    (opts?.log ?? this.#log).debug({ cloud: this.cloud, instanceId: ref.id }, 'container removed');
  }

  /** Merges `tags` into the added tags (tag-volumes.ts). An instance that is gone is not an error: nothing happens. */
  async tag(ref: InstanceRef, tags: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void> {
    const doing = `tagging instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const outside = foreignTagKey(tags);
    if (outside !== undefined) throw new InvalidSpecError(this.cloud, `${doing}: tag "${outside}" is not an owner tag (hearth:…)`);
    const retag = retagProblem(tags, this.#installation);
    if (retag) throw new InvalidSpecError(this.cloud, `${doing}: ${retag}`);
    if (!containerId.test(ref.id)) return;
    const signal = opts?.signal;
    const container = this.#docker.getContainer(ref.id);
    try {
      await container.inspect(signal ? { abortSignal: signal } : {});
      await this.#tags.write(ref.id, tags, signal);
      // a terminate between the check and the write would leave the new volume behind
      if (!(await exists(container))) await this.#tags.removeAll(ref.id);
    } catch (err) {
      if (isNotFound(err)) return;
      throw classify(err, this.cloud, doing);
    }
  }

  /** Docker sets no quota: the configured instance limit, or Infinity. Use counts every container listed. */
  async quota(opts?: CallOptions): Promise<Quota> {
    const doing = `reading quota of ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    let containers: Dockerode.ContainerInfo[];
    try {
      containers = await this.#containers(opts?.signal);
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
    const used = { instances: containers.length, cores: 0, ramMb: 0 };
    for (const c of containers) {
      used.cores += Number(c.Labels[DriverLabel.Cpus]) || 0;
      used.ramMb += Number(c.Labels[DriverLabel.RamMb]) || 0;
    }
    return { limits: { instances: this.#settings.limits.instances, cores: Infinity, ramMb: Infinity }, used };
  }

  async probe(opts?: CallOptions): Promise<void> {
    const doing = `probing ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    try {
      // Engine API: GET /_ping
      await this.#docker.ping();
    } catch (err) {
      throw classify(err, this.cloud, doing);
    }
  }

  /** Nothing to release: each Engine API call is its own request on the socket. */
  async close(): Promise<void> {}

  /** Every container of this installation, in any state. */
  #containers(signal: AbortSignal | undefined): Promise<Dockerode.ContainerInfo[]> {
    // Engine API: GET /containers/json?all=true&filters={"label":["hearth:installation=<id>"]}
    const filters = { label: [labelFilter(OwnerTag.Installation, this.#installation)] };
    return this.#docker.listContainers({ all: true, filters, ...(signal ? { abortSignal: signal } : {}) });
  }

  /** The CloudError for a failed create or start; a network removed under us is checked again next launch. */
  #launchError(err: unknown, network: string, doing: string): CloudError {
    // the engine reports a missing network at create or, as 20.10 does, only at start
    if (isNotFound(err) && /network/i.test(engineMessage(err))) this.#networks.forget(network);
    return classify(err, this.cloud, doing);
  }


  /** What Docker would accept but Hearth must not: owner tags missing, wrong or outside their namespace. */
  #specProblem(spec: LaunchSpec): string | undefined {
    const owners = ownerTagsProblem(spec.tags, this.#installation);
    if (owners) return owners;
    const outside = foreignTagKey(spec.tags);
    if (outside !== undefined) return `tag "${outside}" is not an owner tag (hearth:…)`;
    if (!(spec.cpus > 0)) return `cpus must be above 0, got ${spec.cpus}`;
    if (!(spec.memoryMb > 0)) return `memoryMb must be above 0, got ${spec.memoryMb}`;
    return undefined;
  }
}

/** The container for one machine (Engine API ContainerCreateRequest). */
function createOptions(spec: LaunchSpec, network: string): Dockerode.ContainerCreateOptions {
  const memoryBytes = Math.round(spec.memoryMb * 1024 * 1024);
  return {
    name: spec.machineId,
    Hostname: spec.machineId,
    Image: spec.image,
    Env: [`HEARTH_AUTHORIZED_KEYS=${spec.authorizedKeys.join('\n')}`],
    Labels: {
      ...spec.tags,
      [DriverLabel.Cpus]: String(spec.cpus),
      [DriverLabel.RamMb]: String(spec.memoryMb),
      [DriverLabel.Network]: network,
    },
    HostConfig: {
      NanoCpus: Math.round(spec.cpus * 1e9),
      Memory: memoryBytes,
      // no swap on top: the machine has the memory its type promises, as a VM would
      MemorySwap: memoryBytes,
      NetworkMode: network,
      // docker-init as PID 1 reaps what users leave behind (nohup, tmux servers) and forwards signals
      Init: true,
      RestartPolicy: { Name: 'no' },
    },
  };
}

/** Whether the container still exists (inspect answers rather than 404). */
async function exists(container: Dockerode.Container): Promise<boolean> {
  try {
    await container.inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
