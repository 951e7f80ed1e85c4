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
import { CloudUnavailableError, QuotaExceededError } from '../errors.js';
import { bootTimeSampler, seededRandom, type Random } from './boot-time.js';
import { systemClock, type Clock } from './clock.js';
import { simSettings, type SimConfig, type SimSettings } from './config.js';
import { abortedError, faultError, invalidSpecError, quotaProblem, specProblem, type SimFault } from './faults.js';
import { simAddress, toInstance, type SimRecord } from './map.js';
import { SimStore } from './store.js';

/** What a SimCloud needs besides its config. */
export interface SimDeps {
  log: Logger;
  /** This installation's id: list() returns only instances tagged with it. */
  installation: string;
  /** Time source; the wall clock when absent. Benchmarks and unit tests pass a ManualClock. */
  clock?: Clock;
  /** The simulated account; a new, empty one when absent. */
  store?: SimStore;
}

/**
 * An in-memory cloud that keeps the CloudDriver contract (it passes the contract suite).
 * launch assigns an id at once; the instance is `pending` for a boot time drawn from the
 * configured distribution, then `running` with a fake 10.x address that is never reachable,
 * or `error` with a fault for the configured share of launches. Quota is enforced per
 * account, which also holds instances of other installations (addForeign). States are
 * computed from timestamps when read, so no timer runs per instance.
 */
export class SimCloud implements CloudDriver {
  readonly kind = DriverKind.Sim;
  readonly cloud: string;
  readonly region: string;
  readonly #settings: SimSettings;
  readonly #log: Logger;
  readonly #installation: string;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #sampleBootMs: () => number;
  readonly #store: SimStore;
  readonly #pendingFaults: SimFault[] = [];
  #latencyMs: number;
  #outage = false;
  #closed = false;

  /** @throws RangeError when the boot-time distribution cannot be built from the config. */
  constructor(config: SimConfig, deps: SimDeps) {
    this.#settings = simSettings(config);
    this.cloud = this.#settings.name;
    this.region = this.#settings.region;
    this.#log = deps.log;
    this.#installation = deps.installation;
    this.#clock = deps.clock ?? systemClock;
    this.#store = deps.store ?? new SimStore();
    this.#random = seededRandom(this.#settings.seed);
    this.#sampleBootMs = bootTimeSampler(this.#settings.bootTime, this.#random);
    this.#latencyMs = this.#settings.apiLatencyMs;
  }

  async launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef> {
    const doing = `launching machine ${spec.machineId} on ${this.cloud}`;
    await this.#call(doing, opts);
    const fault = this.#pendingFaults.shift();
    if (fault) throw faultError(fault, this.cloud, doing);
    const problem = specProblem(spec, this.#settings.images);
    if (problem) throw invalidSpecError(this.cloud, doing, problem);
    const nowMs = this.#clock.now();
    const overLimit = quotaProblem(this.#store.used(nowMs), this.#settings.limits, spec);
    if (overLimit) throw new QuotaExceededError(this.cloud, `${doing}: quota exceeded (${overLimit})`);
    const bootMs = this.#sampleBootMs();
    const failed = this.#settings.failureRate > 0 && this.#random() < this.#settings.failureRate;
    const record = this.#create(spec.tags, spec, nowMs, bootMs, failed ? 'simulated boot failure' : undefined);
    (opts?.log ?? this.#log).debug({ machineId: spec.machineId, cloud: this.cloud, instanceId: record.id }, 'instance launched');
    return { id: record.id };
  }

  async describe(ref: InstanceRef, opts?: CallOptions): Promise<Instance | undefined> {
    await this.#call(`describing instance ${ref.id} on ${this.cloud}`, opts);
    const nowMs = this.#clock.now();
    const record = this.#store.get(ref.id, nowMs);
    return record && toInstance(record, nowMs);
  }

  async list(opts?: CallOptions): Promise<Instance[]> {
    await this.#call(`listing instances on ${this.cloud}`, opts);
    const nowMs = this.#clock.now();
    const instances: Instance[] = [];
    for (const record of this.#store.ofInstallation(this.#installation, nowMs)) instances.push(toInstance(record, nowMs));
    return instances;
  }

  async terminate(ref: InstanceRef, opts?: CallOptions): Promise<void> {
    await this.#call(`terminating instance ${ref.id} on ${this.cloud}`, opts);
    const nowMs = this.#clock.now();
    const record = this.#store.get(ref.id, nowMs);
    // already gone or already deleting: terminate is idempotent
    if (record) this.#store.delete(record, nowMs, this.#settings.deleteTimeMs);
  }

  /** Merges `tags` into the instance's tags. An instance that is gone is not an error: nothing happens. */
  async tag(ref: InstanceRef, tags: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void> {
    await this.#call(`tagging instance ${ref.id} on ${this.cloud}`, opts);
    const record = this.#store.get(ref.id, this.#clock.now());
    if (record) this.#store.retag(record, { ...record.tags, ...tags });
  }

  async quota(opts?: CallOptions): Promise<Quota> {
    await this.#call(`reading quota of ${this.cloud}`, opts);
    return { limits: { ...this.#settings.limits }, used: this.#store.used(this.#clock.now()) };
  }

  async probe(opts?: CallOptions): Promise<void> {
    await this.#call(`probing ${this.cloud}`, opts);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Makes the next launch call reject with the error a real cloud gives for `fault`; calls queue up. */
  failNextLaunch(fault: SimFault): void {
    this.#pendingFaults.push(fault);
  }

  /** Sets the time every API call takes from now on, in milliseconds on this cloud's clock. */
  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`setting sim latency: expected ms >= 0, got ${ms}`);
    this.#latencyMs = ms;
  }

  /** While on, every API call (probe included) rejects with CloudUnavailableError, as during an outage. */
  setOutage(on: boolean): void {
    this.#outage = on;
  }

  /** Drops queued launch faults, ends an outage and restores the configured latency. */
  resetFaults(): void {
    this.#pendingFaults.length = 0;
    this.#outage = false;
    this.#latencyMs = this.#settings.apiLatencyMs;
  }

  /**
   * Creates a running instance someone else owns in the same account: by default tagged with
   * another installation; pass `{}` for an untagged one. It counts against quota but never
   * appears in this driver's list().
   */
  addForeign(tags: Readonly<Record<string, string>> = { [OwnerTag.Installation]: 'another-installation' }): InstanceRef {
    const record = this.#create(tags, { image: 'foreign', cpus: 1, memoryMb: 512 }, this.#clock.now(), 0, undefined);
    return { id: record.id };
  }

  #create(
    tags: Readonly<Record<string, string>>,
    shape: { image: string; cpus: number; memoryMb: number },
    nowMs: number,
    bootMs: number,
    fault: string | undefined,
  ): SimRecord {
    const sequence = this.#store.nextSequence();
    const record: SimRecord = {
      id: `i-${sequence.toString(16).padStart(8, '0')}`,
      installation: tags[OwnerTag.Installation],
      tags: Object.freeze({ ...tags }),
      image: shape.image,
      cpus: shape.cpus,
      memoryMb: shape.memoryMb,
      privateIp: simAddress(sequence),
      createdAtMs: nowMs,
      bootedAtMs: nowMs + bootMs,
      fault,
      deletingSinceMs: undefined,
    };
    this.#store.add(record);
    return record;
  }

  /** What every API call goes through: closed check, abort, latency, outage. */
  async #call(doing: string, opts: CallOptions | undefined): Promise<void> {
    if (this.#closed) throw new Error(`${doing}: the driver is closed`);
    const signal = opts?.signal;
    if (signal?.aborted) throw abortedError(this.cloud, doing, signal);
    if (this.#latencyMs > 0) {
      try {
        await this.#clock.sleep(this.#latencyMs, signal);
      } catch (err) {
        if (signal?.aborted) throw abortedError(this.cloud, doing, signal);
        throw err;
      }
    }
    if (this.#outage) throw new CloudUnavailableError(this.cloud, `${doing}: cloud unavailable (simulated outage)`);
  }
}
