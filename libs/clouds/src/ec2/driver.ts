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
import { CloudUnavailableError, InvalidSpecError, throwIfAborted } from '../errors.js';
import { retagProblem } from '../owner-tags.js';
import { Ec2Api, type Ec2Credentials } from './api.js';
import { ec2Settings, type Ec2Config, type Ec2Settings } from './config.js';
import { runInstancesInput } from './launch.js';
import { isGone, liveStateNames, toInstance, toTags } from './map.js';
import { Ec2Quota } from './quota.js';

/** What an Ec2Driver needs besides its config. */
export interface Ec2Deps {
  log: Logger;
  /** This installation's id: launch checks it, list() returns only instances tagged with it. */
  installation: string;
  /** Credentials (or a provider of them) instead of the SDK's default chain; tests pass static ones. */
  credentials?: Ec2Credentials;
}

/** Refs this driver hands out are EC2 instance ids; anything else names no machine of ours. */
const instanceId = /^i-[0-9a-f]{8,17}$/;

/**
 * Machines as EC2 instances in one account and region, through @aws-sdk/client-ec2. A launch is
 * one RunInstances with the owner tags on the instance and its volumes, a ClientToken derived
 * from the machine id (a retried launch finds the first instance), and cloud-init user data
 * that installs the authorized keys for root. Like every driver, it translates and never
 * waits for boot: polling, timeouts and retries of whole launches live in the pool manager.
 * The only retry here is a bounded back-off of one request that EC2 throttled or failed
 * with 5xx (call.ts).
 */
export class Ec2Driver implements CloudDriver {
  readonly kind = DriverKind.Ec2;
  readonly cloud: string;
  readonly region: string;
  readonly #settings: Ec2Settings;
  readonly #installation: string;
  readonly #log: Logger;
  readonly #api: Ec2Api;
  readonly #quota: Ec2Quota;

  constructor(config: Ec2Config, deps: Ec2Deps) {
    this.#settings = ec2Settings(config);
    this.cloud = this.#settings.name;
    this.region = this.#settings.region;
    this.#installation = deps.installation;
    this.#log = deps.log;
    this.#api = new Ec2Api(this.#settings, { log: deps.log, ...(deps.credentials === undefined ? {} : { credentials: deps.credentials }) });
    this.#quota = new Ec2Quota(this.#api, this.#settings);
  }

  /**
   * EC2: RunInstances. Honours the signal while the call is in flight too: the ClientToken
   * makes a relaunch of the same machine id return the instance an aborted call may have made,
   * and its owner tags let the leak sweep find it otherwise.
   */
  async launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef> {
    const doing = `launching machine ${spec.machineId} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const request = runInstancesInput(spec, this.#settings, this.#installation);
    if ('problem' in request) throw new InvalidSpecError(this.cloud, `${doing}: ${request.problem}`);
    const instance = await this.#api.runInstance(request.input, doing, opts);
    if (!instance?.InstanceId) throw new CloudUnavailableError(this.cloud, `${doing}: RunInstances answered without an instance`);
    if (isGone(instance) || instance.State?.Name === 'shutting-down') {
      // the ClientToken answered with the instance an earlier launch of this machine id made, since terminated
      const state = instance.State?.Name ?? 'unknown';
      throw new InvalidSpecError(this.cloud, `${doing}: this machine id already launched ${instance.InstanceId}, now ${state}; launch under a new machine id`);
    }
    (opts?.log ?? this.#log).debug({ machineId: spec.machineId, cloud: this.cloud, instanceId: instance.InstanceId }, 'EC2 instance launched');
    return { id: instance.InstanceId };
  }

  /** EC2: DescribeInstances by id. Unknown, malformed and terminated ids are gone: undefined. */
  async describe(ref: InstanceRef, opts?: CallOptions): Promise<Instance | undefined> {
    const doing = `describing instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    if (!instanceId.test(ref.id)) return undefined;
    const instance = await this.#api.describeInstance(ref.id, doing, opts);
    return instance === undefined || isGone(instance) ? undefined : toInstance(instance);
  }

  /** EC2: DescribeInstances filtered by tag:hearth:installation and every state but terminated, all pages. */
  async list(opts?: CallOptions): Promise<Instance[]> {
    const doing = `listing instances on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const filters = [
      { Name: `tag:${OwnerTag.Installation}`, Values: [this.#installation] },
      { Name: 'instance-state-name', Values: [...liveStateNames] },
    ];
    const instances = await this.#api.describeInstances(filters, doing, opts);
    return instances.filter((i) => !isGone(i)).map(toInstance);
  }

  /** EC2: TerminateInstances. An id EC2 does not know (or no longer knows) is already gone. */
  async terminate(ref: InstanceRef, opts?: CallOptions): Promise<void> {
    const doing = `terminating instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    if (!instanceId.test(ref.id)) return;
    if (!(await this.#api.terminateInstance(ref.id, doing, opts))) return;
    (opts?.log ?? this.#log).debug({ cloud: this.cloud, instanceId: ref.id }, 'EC2 instance terminating');
  }

  /** EC2: CreateTags, which adds or overwrites only the keys given. An instance that is gone is not an error. */
  async tag(ref: InstanceRef, tags: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void> {
    const doing = `tagging instance ${ref.id} on ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    const retag = retagProblem(tags, this.#installation);
    if (retag) throw new InvalidSpecError(this.cloud, `${doing}: ${retag}`);
    if (!instanceId.test(ref.id) || Object.keys(tags).length === 0) return;
    await this.#api.createTags(ref.id, toTags(tags), doing, opts);
  }

  /** Limits and use of the whole account in this region (quota.ts). */
  async quota(opts?: CallOptions): Promise<Quota> {
    const doing = `reading quota of ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    return this.#quota.read(doing, opts);
  }

  /** EC2: DescribeAccountAttributes, one cheap authenticated call. */
  async probe(opts?: CallOptions): Promise<void> {
    const doing = `probing ${this.cloud}`;
    throwIfAborted(this.cloud, doing, opts?.signal);
    await this.#api.accountAttributes(doing, opts);
  }

  async close(): Promise<void> {
    this.#api.close();
  }

}
