import { randomUUID } from 'node:crypto';
import { InstanceState, OwnerTag, type CallOptions, type CloudDriver, type Instance, type InstanceRef, type LaunchSpec } from '../driver.js';
import { pollUntil, show } from './poll.js';

/** Each call makes the driver's NEXT launch fail in one way; reset() undoes them all. */
export interface ContractFaults {
  /** The next launch rejects with QuotaExceededError. */
  quota(): Promise<void>;
  /** The next launch rejects with CapacityError. */
  capacity(): Promise<void>;
  /** The next launch rejects with a (retryable) CloudUnavailableError. */
  unavailable(): Promise<void>;
  /** Clears every fault still armed. */
  reset(): Promise<void>;
}

/** What a driver's contract runner hands the suite; made once per file, in beforeAll. */
export interface ContractSetup {
  driver: CloudDriver;
  /**
   * A valid launch spec for this cloud with a new machineId on every call, tagged with
   * `hearth:installation` (= `installation`), `hearth:machine` and `hearth:type`.
   */
  spec(overrides?: Partial<LaunchSpec>): LaunchSpec;
  /** The installation id the driver was made with. */
  installation: string;
  /** Fault controls of the backend; the fault checks are skipped (and say so) without them. */
  faults?: ContractFaults;
  /** Creates an untagged or other-installation instance the driver must NOT list; the check is skipped without it. */
  foreign?: () => Promise<void>;
  /** How long an instance may take to run or to disappear; 30 s when absent. */
  waitBudgetMs?: number;
  /** A ref in this cloud's id format that no instance has; a random UUID when absent. */
  unknownRef?: InstanceRef;
  /** Frees what setup made (foreign instances included); runs after the suite terminated its own instances. */
  cleanup(): Promise<void>;
}

/** One run of the suite: the setup, plus everything launched, so afterAll can terminate it all. */
export class ContractRun {
  readonly #launched = new Map<string, InstanceRef>();
  readonly #machineIds = new Set<string>();
  #primary: Promise<{ spec: LaunchSpec; ref: InstanceRef }> | undefined;

  constructor(readonly setup: ContractSetup) {}

  get driver(): CloudDriver {
    return this.setup.driver;
  }

  get budgetMs(): number {
    return this.setup.waitBudgetMs ?? 30_000;
  }

  get unknownRef(): InstanceRef {
    return this.setup.unknownRef ?? { id: randomUUID() };
  }

  /** True for an instance this run launched (and so knows about). */
  launched(ref: InstanceRef): boolean {
    return this.#launched.has(ref.id);
  }

  /** A fresh spec from the setup, remembered so the final sweep can find what it made. */
  spec(overrides?: Partial<LaunchSpec>): LaunchSpec {
    const spec = this.setup.spec(overrides);
    this.#machineIds.add(spec.machineId);
    return spec;
  }

  /** Launches and remembers the ref for afterAll. */
  async launch(spec: LaunchSpec, opts?: CallOptions): Promise<InstanceRef> {
    const ref = await this.driver.launch(spec, opts);
    this.#launched.set(ref.id, ref);
    return ref;
  }

  /** The error a launch rejects with; fails the test when the launch resolves instead. */
  async launchError(spec: LaunchSpec, opts?: CallOptions): Promise<unknown> {
    let ref: InstanceRef;
    try {
      ref = await this.launch(spec, opts);
    } catch (err) {
      return err;
    }
    throw new Error(`expected the launch of ${spec.machineId} to reject, but it made instance ${ref.id}`);
  }

  /** One instance shared by the checks that only read it, launched on first use. */
  primary(): Promise<{ spec: LaunchSpec; ref: InstanceRef }> {
    this.#primary ??= (async () => {
      const spec = this.spec();
      return { spec, ref: await this.launch(spec) };
    })();
    return this.#primary;
  }

  /** Polls describe until the instance runs with a private address; fails early when it ends in error. */
  async waitRunning(ref: InstanceRef): Promise<Instance> {
    const instance = await pollUntil(
      async () => {
        const seen = await this.driver.describe(ref);
        if (seen?.state === InstanceState.Error) return seen;
        return seen?.state === InstanceState.Running && seen.privateIp ? seen : undefined;
      },
      { what: `instance ${ref.id} running with a private address`, timeoutMs: this.budgetMs },
    );
    if (instance.state === InstanceState.Error) {
      throw new Error(`instance ${ref.id} ended in error instead of running: ${instance.fault ?? 'no fault given'}`);
    }
    return instance;
  }

  /** Polls list until it holds every one of `refs`, and returns what it listed. */
  async waitListed(refs: readonly InstanceRef[]): Promise<Instance[]> {
    return pollUntil(
      async () => {
        const listed = await this.driver.list();
        const ids = new Set(listed.map((i) => i.ref.id));
        return refs.every((r) => ids.has(r.id)) ? listed : undefined;
      },
      { what: `list to hold ${refs.map((r) => r.id).join(', ')}`, timeoutMs: this.budgetMs },
    );
  }

  /**
   * Terminates everything this run launched, then anything listed under a machine id it issued
   * (a launch that failed its check may still have made an instance), then runs the setup's
   * cleanup. Every step runs even when an earlier one fails; the failures are thrown together.
   */
  async teardown(): Promise<void> {
    const failures: unknown[] = [];
    const terminateAll = async (refs: Iterable<InstanceRef>): Promise<void> => {
      const results = await Promise.allSettled([...refs].map((ref) => this.driver.terminate(ref)));
      for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
    };
    await terminateAll(this.#launched.values());
    try {
      const strays = (await this.driver.list()).filter(
        (i) => !this.#launched.has(i.ref.id) && this.#machineIds.has(i.tags[OwnerTag.Machine] ?? ''),
      );
      await terminateAll(strays.map((i) => i.ref));
    } catch (err) {
      failures.push(err);
    }
    try {
      await this.setup.cleanup();
    } catch (err) {
      failures.push(err);
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, `contract suite teardown: ${failures.map(show).join('; ')}`);
    }
  }
}
