import { describe, expect, it, type TestContext } from 'vitest';
import { InstanceState, OwnerTag, type Instance } from '../driver.js';
import { pollUntil } from './poll.js';
import type { ContractRun } from './run.js';

/** Timeout of one check: generous, because each polls within the setup's own wait budget. */
export const checkTimeoutMs = 180_000;
const timeout = checkTimeoutMs;

/** The owner tags a listed or described instance must carry for this spec. */
function ownerTags(run: ContractRun, spec: { machineId: string; type: string }): Record<string, string> {
  return {
    [OwnerTag.Installation]: run.setup.installation,
    [OwnerTag.Machine]: spec.machineId,
    [OwnerTag.Type]: spec.type,
  };
}

/** 1. launch returns a ref at once; the instance goes from pending (or running) to running with an address. */
export function launchChecks(run: () => ContractRun): void {
  describe('launch and describe', () => {
    it('returns a ref and describes the instance as pending or running', { timeout }, async () => {
      const { spec, ref } = await run().primary();
      expect(typeof ref.id).toBe('string');
      expect(ref.id).not.toBe('');
      const seen = await run().driver.describe(ref);
      expect(seen, `describe(${ref.id}) right after launch`).toBeDefined();
      expect([InstanceState.Pending, InstanceState.Running]).toContain(seen?.state);
      expect(seen?.ref.id).toBe(ref.id);
      expect(seen?.tags).toMatchObject(spec.tags);
      expect(seen?.createdAt).toBeInstanceOf(Date);
      expect(Number.isNaN(seen?.createdAt.getTime())).toBe(false);
    });

    it('reaches running with a private address within the wait budget', { timeout }, async () => {
      const { ref } = await run().primary();
      const instance = await run().waitRunning(ref);
      expect(instance.privateIp).toMatch(/\S/);
    });
  });
}

/** 2 and 3. list holds this installation's instances with their owner tags, and nothing else. */
export function listChecks(run: () => ContractRun): void {
  describe('list', () => {
    it('includes the instance with its owner tags', { timeout }, async () => {
      const { spec, ref } = await run().primary();
      const listed = await run().waitListed([ref]);
      const mine = listed.find((i) => i.ref.id === ref.id);
      expect(mine?.tags).toMatchObject({ ...spec.tags, ...ownerTags(run(), spec) });
    });

    it('leaves out instances of other installations and untagged ones', { timeout }, async (ctx: TestContext) => {
      const { foreign, installation } = run().setup;
      if (!foreign) ctx.skip('setup has no foreign(): this backend cannot make an instance of another owner');
      const before = await run().driver.list();
      await foreign();
      const after = await run().driver.list();
      const strangers = after.filter((i) => i.tags[OwnerTag.Installation] !== installation);
      expect(strangers.map((i) => ({ id: i.ref.id, tags: i.tags }))).toEqual([]);
      expect(after.map((i) => i.ref.id).sort()).toEqual(before.map((i) => i.ref.id).sort());
    });

    it('launches 8 in parallel as 8 distinct instances, all listed', { timeout }, async () => {
      const specs = Array.from({ length: 8 }, () => run().spec());
      const refs = await Promise.all(specs.map((spec) => run().launch(spec)));
      expect(new Set(refs.map((r) => r.id)).size).toBe(8);
      const listed = await run().waitListed(refs);
      for (const [i, ref] of refs.entries()) {
        const spec = specs[i];
        if (!spec) continue;
        expect(listed.find((l) => l.ref.id === ref.id)?.tags).toMatchObject(ownerTags(run(), spec));
      }
    });
  });
}

/** 4. tag merges new tags into the launch tags, visible to describe and list. */
export function tagChecks(run: () => ContractRun): void {
  describe('tag', () => {
    it('merges new tags with the launch tags in describe and list', { timeout }, async () => {
      const { spec, ref } = await run().primary();
      const added = { [OwnerTag.User]: 'ada', [OwnerTag.AllocatedAt]: new Date().toISOString() };
      await run().driver.tag(ref, added);
      const expected = { ...spec.tags, ...ownerTags(run(), spec), ...added };
      const described = await pollUntil(
        async () => {
          const seen = await run().driver.describe(ref);
          return seen?.tags[OwnerTag.User] === 'ada' ? seen : undefined;
        },
        { what: `describe(${ref.id}) to show the new tags`, timeoutMs: run().budgetMs },
      );
      expect(described.tags).toMatchObject(expected);
      const listed = await run().driver.list();
      expect(listed.find((i) => i.ref.id === ref.id)?.tags).toMatchObject(expected);
    });
  });
}

/** 5. terminate is idempotent and the instance then leaves list and describe; unknown refs are not errors. */
export function terminateChecks(run: () => ContractRun): void {
  describe('terminate', () => {
    it('resolves twice, then the instance leaves list and describe returns undefined', { timeout }, async () => {
      const ref = await run().launch(run().spec());
      await run().driver.terminate(ref);
      await run().driver.terminate(ref);
      await pollUntil(
        async () => {
          const listed: Instance[] = await run().driver.list();
          const described = await run().driver.describe(ref);
          return !listed.some((i) => i.ref.id === ref.id) && described === undefined;
        },
        { what: `instance ${ref.id} gone from list and describe`, timeoutMs: run().budgetMs },
      );
    });

    it('treats an unknown ref as gone: describe returns undefined and terminate resolves', { timeout }, async () => {
      const ref = run().unknownRef;
      expect(await run().driver.describe(ref)).toBeUndefined();
      await expect(run().driver.terminate(ref)).resolves.toBeUndefined();
    });
  });
}
