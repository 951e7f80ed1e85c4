import { beforeAll, describe, expect, it } from 'vitest';
import { onMachineEvents, request, subjects, type MachineEvent, type MachineRecord } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { generateKeyPair, SshSession } from '@hearth/ssh';
import type { TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The pool manager's end-to-end scenarios over real machines (real sshd, personalized over
 * SSH, logged into with the user's own key), written once and run over each setup: the Docker
 * engine alone (pool-manager-docker.test.ts), and one type spanning Docker, the real OpenStack
 * control plane and the EC2 fake behind the emulated hypervisor (pool-manager-multicloud.test.ts).
 */

/** One cloud of the type's pools, in a region of its own so a request can be sent to it. */
export interface ScenarioCloud {
  name: string;
  region: string;
}

/** What the scenarios need from the running setup, read once its beforeAll has run. */
export interface ScenarioContext {
  pm: TestPoolManager;
  /** Image, flavor and network of an instance launched on `cloud` behind the pool manager's back (a leak). */
  leakSpec(cloud: string): Promise<{ image: string; flavor?: string; network?: string }>;
  /** True once instance `id` is gone from `cloud` (and its machine with it). */
  instanceGone(cloud: string, id: string): Promise<boolean>;
}

export interface ScenarioOptions {
  /** The machine type every pool serves (sudo on, a short idle limit, a reclaim grace of about a second). */
  type: string;
  /** The clouds the type's pools span, each with minReady 1. */
  clouds: readonly ScenarioCloud[];
  /** How long a boot, a replacement or a delete may take on the slowest of these clouds. */
  waitMs: number;
}

/** Registers the scenarios as one describe block; `context` is called inside the tests. */
export function describePoolManagerScenarios(title: string, opts: ScenarioOptions, context: () => ScenarioContext): void {
  const { type, clouds, waitMs } = opts;
  const events: MachineEvent[] = [];
  const ada = generateKeyPair('ada@laptop');
  /** ada's machine on each cloud, as the allocation scenario hands them out. */
  const adas = new Map<string, MachineRecord>();

  const pm = (): TestPoolManager => context().pm;
  const machines = async (filter: { state?: MachineRecord['state']; user?: string } = {}): Promise<MachineRecord[]> =>
    (await request(pm().bus, subjects.machines.list, { type, ...filter })).machines;
  const readyOn = async (cloud: string): Promise<number> => (await machines({ state: 'ready' })).filter((m) => m.cloud === cloud).length;
  const readyCounts = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = Object.fromEntries(clouds.map((c) => [c.name, 0]));
    for (const m of await machines({ state: 'ready' })) counts[m.cloud] = (counts[m.cloud] ?? 0) + 1;
    return counts;
  };

  describe(title, () => {
    beforeAll(() => {
      onMachineEvents(pm().bus, (event) => events.push(event));
    });

    it(`warms the pool with machines whose sshd answers, on ${clouds.map((c) => c.name).join(', ')}`, { timeout: waitMs + 30_000 }, async () => {
      await waitFor(async () => {
        const counts = await readyCounts();
        return Object.values(counts).every((n) => n === 1) && counts;
      }, {
        what: `one ready machine on each cloud`,
        timeoutMs: waitMs,
        intervalMs: 200,
      });
    });

    for (const cloud of clouds) {
      it(`hands out a machine on ${cloud.name} the user logs into with their own key, with sudo, refuses another user's key, and launches its replacement`, { timeout: 2 * waitMs }, async () => {
        const reply = await request(pm().bus, subjects.machines.allocate, { type, user: 'ada', sshPublicKey: ada.publicKey, region: cloud.region }, { timeoutMs: waitMs });
        expect(reply).toMatchObject({ warm: true, cloud: cloud.name, connect: { user: 'ada', port: 22 } });
        const session = await SshSession.open({ host: reply.connect.host, port: reply.connect.port, username: 'ada', privateKey: ada.privateKey });
        try {
          expect((await session.exec('id -un')).stdout.trim()).toBe('ada');
          expect((await session.exec('sudo -n id -u')).stdout.trim()).toBe('0');
        } finally {
          session.close();
        }
        const mallory = generateKeyPair('mallory');
        await expect(SshSession.open({ host: reply.connect.host, username: 'ada', privateKey: mallory.privateKey })).rejects.toThrow(/authentication/i);
        const record = (await machines({ user: 'ada' })).find((m) => m.id === reply.machineId);
        if (record) adas.set(cloud.name, record);
        await waitFor(async () => (await readyOn(cloud.name)) === 1, { what: `replacement ready on ${cloud.name}`, timeoutMs: waitMs, intervalMs: 200 });
      });
    }

    it('warns, then reclaims a machine left idle past its limit, and deletes its instance', { timeout: 2 * waitMs }, async () => {
      expect([...adas.keys()].sort()).toEqual(clouds.map((c) => c.name).sort());
      for (const [cloud, mine] of adas) {
        await waitFor(() => events.some((e) => e.kind === 'reclaim-warning' && e.machineId === mine.id), { what: `reclaim warning for ${mine.id} on ${cloud}`, timeoutMs: 30_000 });
        // the warning says when: warned + the grace period, and the machine goes no earlier
        const warning = events.find((e) => e.kind === 'reclaim-warning' && e.machineId === mine.id);
        expect(warning?.reclaimAt).toBeGreaterThan(warning?.at ?? Number.POSITIVE_INFINITY);
        const reclaimed = await waitFor(() => events.find((e) => e.kind === 'reclaimed' && e.machineId === mine.id), { what: `${mine.id} on ${cloud} reclaimed`, timeoutMs: 30_000 });
        expect(reclaimed.at).toBeGreaterThanOrEqual(warning?.reclaimAt ?? Number.POSITIVE_INFINITY);
        await waitFor(() => context().instanceGone(cloud, mine.cloudRef ?? ''), { what: `reclaimed instance ${mine.cloudRef} deleted from ${cloud}`, timeoutMs: waitMs });
      }
    });

    for (const cloud of clouds) {
      it(`deletes a released machine's instance on ${cloud.name}`, { timeout: 2 * waitMs }, async () => {
        const grace = generateKeyPair('grace');
        const reply = await request(pm().bus, subjects.machines.allocate, { type, user: 'grace', sshPublicKey: grace.publicKey, region: cloud.region }, { timeoutMs: waitMs });
        expect(reply.cloud).toBe(cloud.name);
        const record = (await machines({ user: 'grace' })).find((m) => m.id === reply.machineId);
        await request(pm().bus, subjects.machines.release, { machineId: reply.machineId, user: 'grace' });
        await waitFor(() => context().instanceGone(cloud.name, record?.cloudRef ?? ''), { what: `released instance deleted from ${cloud.name}`, timeoutMs: waitMs });
      });
    }

    for (const cloud of clouds) {
      it(`deletes a leaked instance on ${cloud.name} that carries this installation's tag but has no record`, { timeout: 2 * waitMs }, async () => {
        const driver = pm().running.engine.clouds.get(cloud.name)?.driver;
        const machineId = `m-leak-${cloud.name}`;
        const ref = await driver?.launch({
          machineId,
          type,
          cpus: 1,
          memoryMb: 256,
          ...(await context().leakSpec(cloud.name)),
          tags: { [OwnerTag.Installation]: pm().installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: type },
          authorizedKeys: [],
        });
        expect(ref?.id).toBeTruthy();
        await waitFor(() => context().instanceGone(cloud.name, ref?.id ?? ''), { what: `leaked instance ${ref?.id} deleted from ${cloud.name}`, timeoutMs: waitMs });
      });
    }

    const drained = clouds.at(-1);
    if (clouds.length > 1 && drained) {
      it(`moves ${drained.name}'s warm share to the other clouds when it is drained`, { timeout: 2 * waitMs }, async () => {
        const others = clouds.filter((c) => c !== drained).map((c) => c.name);
        await request(pm().bus, subjects.clouds.drain, { cloud: drained.name, by: 'ann' });
        await waitFor(
          async () => {
            const counts = await readyCounts();
            const elsewhere = others.reduce((sum, name) => sum + (counts[name] ?? 0), 0);
            return counts[drained.name] === 0 && elsewhere >= clouds.length && counts;
          },
          { what: `no ready machine on ${drained.name}, and ${clouds.length} on ${others.join(' and ')}`, timeoutMs: waitMs, intervalMs: 200 },
        );
        await request(pm().bus, subjects.clouds.undrain, { cloud: drained.name, by: 'ann' });
      });
    }
  });
}
