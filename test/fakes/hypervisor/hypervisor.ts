import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { ensureNetwork, removeNetworkIfUnused, type NetworkSpec } from './network.js';
import type { EmulatedInstance, InstanceSource } from './source.js';

/** Labels on every container a hypervisor starts; cleanup goes by them, never by name. */
export const HypervisorLabel = {
  /** The id of the hypervisor that started the container. */
  Hypervisor: 'hearth-test.hypervisor',
  /** The process that runs that hypervisor: a container whose process is gone is stale. */
  Pid: 'hearth-test.hypervisor-pid',
  /** The cloud's instance id. */
  Instance: 'hearth-test.instance',
  /** The source's cloud name. */
  Cloud: 'hearth-test.cloud',
} as const;

export interface HypervisorOptions {
  docker: Docker;
  source: InstanceSource;
  network: NetworkSpec;
  /** The analysis image (see test/helpers/docker-image.ts): sshd with HEARTH_AUTHORIZED_KEYS for root. */
  image: string;
  /** Between two looks at the cloud; 500 ms when absent. */
  intervalMs?: number;
  /** Memory of each machine; 256 MiB when absent (the flavor's size is not emulated). */
  memoryMb?: number;
}

/** What a hypervisor runs for one instance. */
export interface EmulatedMachine {
  instanceId: string;
  containerId: string;
  privateIp: string;
}

/**
 * An emulated hypervisor for tests: it watches a cloud that boots nothing (Nova's fake virt
 * driver, the EC2 fake) and, for every instance the cloud says is running, runs a container of
 * the analysis image with real sshd at exactly the instance's fixed address on a Docker bridge
 * of the cloud's subnet, with root's keys from the launch. When the instance is no longer
 * running (deleted, terminated, gone), its container goes. The host reaches the machines over
 * the bridge, as a pool manager reaches real ones over the region's network.
 */
export class Hypervisor {
  readonly id = `hv-${randomBytes(4).toString('hex')}`;
  /** The last error of a pass (cloud unreachable, Docker refusal), for a test's failure message. */
  lastError: unknown;
  /** Passes completed; a test waits for one more to know the hypervisor has seen a change. */
  passes = 0;
  readonly #opts: HypervisorOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  private constructor(opts: HypervisorOptions) {
    this.#opts = opts;
  }

  /**
   * Creates (or joins) the cloud's network, removes machines left by hypervisors of processes
   * that have exited, and starts watching. Rejects when the network cannot be made.
   */
  static async start(opts: HypervisorOptions): Promise<Hypervisor> {
    const hv = new Hypervisor(opts);
    await ensureNetwork(opts.docker, opts.network);
    await hv.#removeStale();
    hv.#schedule(0);
    return hv;
  }

  /** The machines this hypervisor runs now, by instance id. */
  async machines(): Promise<Map<string, EmulatedMachine>> {
    const containers = await this.#containers();
    return new Map(
      containers.map((c) => {
        const instanceId = c.Labels[HypervisorLabel.Instance] ?? '';
        const privateIp = c.NetworkSettings.Networks[this.#opts.network.name]?.IPAddress ?? '';
        return [instanceId, { instanceId, containerId: c.Id, privateIp }];
      }),
    );
  }

  /** Resolves after the next whole pass (one started after this call). */
  async settled(): Promise<void> {
    const target = this.passes + (this.#running ? 2 : 1);
    while (this.passes < target && !this.#stopped) await new Promise((r) => setTimeout(r, 50));
  }

  /**
   * Stops watching, removes every container it started, and the network once nothing is
   * attached to it (whichever hypervisor made it: the last one out removes it; one that joins
   * meanwhile makes it again on its next pass).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    const { docker } = this.#opts;
    const containers = await this.#containers();
    await Promise.allSettled(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    await removeNetworkIfUnused(docker, this.#opts.network.name);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#pass()
        .catch((err: unknown) => {
          this.lastError = err;
        })
        .finally(() => {
          this.passes += 1;
          this.#running = undefined;
          this.#schedule(this.#opts.intervalMs ?? 500);
        });
    }, delayMs);
  }

  /** One look at the cloud: start what is running without a machine, remove machines of what is not. */
  async #pass(): Promise<void> {
    const { docker, source } = this.#opts;
    const instances = await source.running();
    const wanted = new Map(instances.map((i) => [i.id, i]));
    const containers = await this.#containers();
    const have = new Set<string>();
    const removals: Promise<unknown>[] = [];
    for (const c of containers) {
      const instanceId = c.Labels[HypervisorLabel.Instance] ?? '';
      // a machine whose sshd died is started afresh, as a VM would be rebooted
      if (wanted.has(instanceId) && c.State === 'running') have.add(instanceId);
      else removals.push(docker.getContainer(c.Id).remove({ force: true, v: true }));
    }
    await settle(removals);
    await ensureNetwork(docker, this.#opts.network);
    await settle(instances.filter((i) => !have.has(i.id)).map((i) => this.#run(i)));
  }

  async #run(instance: EmulatedInstance): Promise<void> {
    const { docker, network, image, source } = this.#opts;
    const memoryBytes = (this.#opts.memoryMb ?? 256) * 1024 * 1024;
    // Engine API: POST /containers/create with the instance's fixed address on the cloud's network
    const container = await docker.createContainer({
      name: `${this.id}-${instance.id}`,
      Hostname: instance.id.slice(0, 63),
      Image: image,
      Env: [`HEARTH_AUTHORIZED_KEYS=${instance.authorizedKeys.join('\n')}`],
      Labels: {
        [HypervisorLabel.Hypervisor]: this.id,
        [HypervisorLabel.Pid]: String(process.pid),
        [HypervisorLabel.Instance]: instance.id,
        [HypervisorLabel.Cloud]: source.cloud,
      },
      HostConfig: { NetworkMode: network.name, Memory: memoryBytes, MemorySwap: memoryBytes, Init: true, RestartPolicy: { Name: 'no' } },
      NetworkingConfig: { EndpointsConfig: { [network.name]: { IPAMConfig: { IPv4Address: instance.privateIp } } } },
    });
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new Error(`starting the machine of ${source.cloud} instance ${instance.id} at ${instance.privateIp}`, { cause: err });
    }
  }

  #containers(): Promise<Docker.ContainerInfo[]> {
    return this.#opts.docker.listContainers({ all: true, filters: { label: [`${HypervisorLabel.Hypervisor}=${this.id}`] } });
  }

  /** Containers of hypervisors whose process has exited (a test run killed mid-way) hold addresses a new one needs. */
  async #removeStale(): Promise<void> {
    const { docker } = this.#opts;
    const all = await docker.listContainers({ all: true, filters: { label: [HypervisorLabel.Hypervisor] } });
    const stale = all.filter((c) => !isAlive(Number(c.Labels[HypervisorLabel.Pid])));
    await Promise.allSettled(stale.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  }
}

/** Whether a process of this pid runs on this host (signal 0 only checks). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits for every job; a 404 or 409 (gone, or going) is fine; the first other failure is thrown. */
async function settle(jobs: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(jobs);
  const failed = results.find(
    (r): r is PromiseRejectedResult => r.status === 'rejected' && ![404, 409].includes((r.reason as { statusCode?: number } | null)?.statusCode ?? 0),
  );
  if (failed) throw failed.reason;
}
