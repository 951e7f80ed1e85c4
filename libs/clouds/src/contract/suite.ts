import { afterAll, beforeAll, describe } from 'vitest';
import { errorChecks, probeChecks, quotaChecks } from './failures.js';
import { launchChecks, listChecks, tagChecks, terminateChecks } from './lifecycle.js';
import { ContractRun, type ContractSetup } from './run.js';

export type { ContractFaults, ContractSetup } from './run.js';
export { pollUntil } from './poll.js';
export type { PollOptions } from './poll.js';

/** Time allowed for the setup (an image pull, a fake to start) and for the teardown. */
const hookTimeoutMs = 300_000;

/**
 * The behaviour every CloudDriver must show, as one vitest suite. Each driver runs it from
 * `test/contract/clouds-<kind>.test.ts`:
 *
 * ```ts
 * describeCloudDriver('docker', async () => ({ driver, spec, installation, faults, foreign, cleanup }));
 * ```
 *
 * `setup` runs once, in beforeAll. The checks run in this order, sharing one instance where
 * they only read it: launch and describe (pending or running, then running with a private
 * address); list (owner tags, no foreign instances, 8 parallel launches); tag (merged into
 * the launch tags); quota (numbers, use counted); launch errors (quota, capacity and
 * unavailable through `faults`; unknown image; already aborted signal); terminate
 * (idempotent, then gone; unknown refs are not errors); probe.
 *
 * What a backend cannot do (no `faults`, no `foreign`, no finite instance limit) is skipped
 * with the reason shown in the report, never passed silently. Waiting is polling within
 * `waitBudgetMs`; nothing asserts speed. afterAll terminates everything the suite launched,
 * even when checks failed, then calls `cleanup`. The cloud needs room for about a dozen
 * instances at once.
 */
export function describeCloudDriver(name: string, setup: () => Promise<ContractSetup>): void {
  describe(`cloud driver contract: ${name}`, () => {
    let current: ContractRun | undefined;
    const run = (): ContractRun => {
      if (!current) throw new Error(`the ${name} contract setup did not finish; see the beforeAll failure`);
      return current;
    };

    beforeAll(async () => {
      current = new ContractRun(await setup());
    }, hookTimeoutMs);

    afterAll(async () => {
      await current?.teardown();
    }, hookTimeoutMs);

    launchChecks(run);
    listChecks(run);
    tagChecks(run);
    quotaChecks(run);
    errorChecks(run);
    terminateChecks(run);
    probeChecks(run);
  });
}
