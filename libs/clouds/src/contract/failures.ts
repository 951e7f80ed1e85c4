import { describe, expect, it, type TestContext } from 'vitest';
import { OwnerTag, type Quota } from '../driver.js';
import {
  AbortedError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
} from '../errors.js';
import { checkTimeoutMs as timeout } from './lifecycle.js';
import { pollUntil } from './poll.js';
import type { ContractFaults, ContractRun } from './run.js';

/** Every number of a quota, for one assertion that names the bad one. */
function quotaNumbers(quota: Quota): Record<string, number> {
  const { limits, used } = quota;
  return {
    'limits.instances': limits.instances,
    'limits.cores': limits.cores,
    'limits.ramMb': limits.ramMb,
    'used.instances': used.instances,
    'used.cores': used.cores,
    'used.ramMb': used.ramMb,
  };
}

/** 6. quota reports numbers, and a launch shows up in use where the cloud has a finite limit. */
export function quotaChecks(run: () => ContractRun): void {
  describe('quota', () => {
    it('reports limits and use as numbers >= 0, Infinity allowed', { timeout }, async () => {
      const numbers = quotaNumbers(await run().driver.quota());
      const bad = Object.entries(numbers).filter(([, n]) => typeof n !== 'number' || Number.isNaN(n) || n < 0);
      expect(bad).toEqual([]);
    });

    it('counts a launch in used.instances where the instance limit is finite', { timeout }, async (ctx: TestContext) => {
      const before = await run().driver.quota();
      if (!Number.isFinite(before.limits.instances)) {
        ctx.skip('the cloud reports no instance limit (Infinity), so it need not report use');
      }
      const ref = await run().launch(run().spec());
      await pollUntil(
        async () => {
          const now = await run().driver.quota();
          return now.used.instances > before.used.instances ? now : undefined;
        },
        { what: `used.instances above ${before.used.instances} after launching ${ref.id}`, timeoutMs: run().budgetMs },
      );
    });
  });
}

/** Runs `check` with the fault controls, resetting them afterwards; skips (with the reason) without them. */
async function withFaults(run: ContractRun, ctx: TestContext, check: (faults: ContractFaults) => Promise<void>): Promise<void> {
  const { faults } = run.setup;
  if (!faults) ctx.skip('setup has no faults: this backend cannot be made to fail on demand');
  try {
    await check(faults);
  } finally {
    await faults.reset();
  }
}

/** Asserts that `err` is a CloudError of `type` naming this driver's cloud. */
function expectCloudError(run: ContractRun, err: unknown, type: abstract new (...args: never[]) => CloudError): void {
  expect(err).toBeInstanceOf(type);
  expect((err as CloudError).cloud).toBe(run.driver.cloud);
}

/** 7. launch failures are typed; aborted calls create nothing. */
export function errorChecks(run: () => ContractRun): void {
  describe('launch errors', () => {
    it('rejects with QuotaExceededError when the quota is used up', { timeout }, (ctx) =>
      withFaults(run(), ctx, async (faults) => {
        await faults.quota();
        expectCloudError(run(), await run().launchError(run().spec()), QuotaExceededError);
      }),
    );

    it('rejects with CapacityError when the cloud has no capacity', { timeout }, (ctx) =>
      withFaults(run(), ctx, async (faults) => {
        await faults.capacity();
        expectCloudError(run(), await run().launchError(run().spec()), CapacityError);
      }),
    );

    it('rejects with a retryable CloudUnavailableError when the cloud is down', { timeout }, (ctx) =>
      withFaults(run(), ctx, async (faults) => {
        await faults.unavailable();
        const err = await run().launchError(run().spec());
        expectCloudError(run(), err, CloudUnavailableError);
        expect((err as CloudError).retryable).toBe(true);
      }),
    );

    it('rejects an unknown image with InvalidSpecError', { timeout }, async () => {
      const spec = run().spec({ image: `hearth-contract/no-such-image:${Date.now().toString(36)}` });
      expectCloudError(run(), await run().launchError(spec), InvalidSpecError);
    });

    it('rejects an already aborted launch with AbortedError and creates nothing', { timeout }, async () => {
      const before = new Set((await run().driver.list()).map((i) => i.ref.id));
      const spec = run().spec();
      const err = await run().launchError(spec, { signal: AbortSignal.abort() });
      expectCloudError(run(), err, AbortedError);
      // anything listed now that was not there before, and that no other check launched, came from the aborted call
      const after = await run().driver.list();
      const made = after.filter((i) => !before.has(i.ref.id) && !run().launched(i.ref));
      expect(made.map((i) => ({ id: i.ref.id, tags: i.tags }))).toEqual([]);
      expect(after.filter((i) => i.tags[OwnerTag.Machine] === spec.machineId)).toEqual([]);
    });
  });
}

/** 8. probe, the cheapest authenticated call, succeeds against a healthy cloud. */
export function probeChecks(run: () => ContractRun): void {
  describe('probe', () => {
    it('resolves against a healthy cloud', { timeout }, async () => {
      await expect(run().driver.probe()).resolves.toBeUndefined();
    });
  });
}
