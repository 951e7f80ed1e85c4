import { createLogger } from '@hearth/log';
import { describe, expect, it } from 'vitest';
import { OwnerTag, type LaunchSpec } from '../driver.js';
import { AbortedError, AuthError, CloudUnavailableError, InvalidSpecError } from '../errors.js';
import { ManualClock } from './clock.js';
import type { SimConfig } from './config.js';
import { SimCloud } from './driver.js';

const installation = 'inst-sim';
const log = createLogger({ service: 'sim-test', level: 'silent' });
const base: SimConfig = {
  driver: 'sim',
  name: 'sim-a',
  region: 'r1',
  bootTimeMs: { distribution: 'uniform', minMs: 30_000, maxMs: 60_000 },
  images: ['base'],
};

function cloud(overrides: Partial<SimConfig> = {}): { sim: SimCloud; clock: ManualClock } {
  const clock = new ManualClock(1_700_000_000_000);
  return { sim: new SimCloud({ ...base, ...overrides }, { log, installation, clock }), clock };
}

let sequence = 0;
function spec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  sequence += 1;
  const machineId = `m-${sequence}`;
  const tags = { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: 't' };
  return { machineId, type: 't', image: 'base', cpus: 1, memoryMb: 512, tags, authorizedKeys: [], ...overrides };
}

describe('sim lifecycle', () => {
  it('is pending without an address until its boot time has passed, then running with one', async () => {
    const { sim, clock } = cloud({ bootTimeMs: { distribution: 'fixed', meanMs: 45_000 } });
    const ref = await sim.launch(spec());
    expect(await sim.describe(ref)).toMatchObject({ state: 'pending' });
    expect((await sim.describe(ref))?.privateIp).toBeUndefined();
    clock.advance(44_999);
    expect((await sim.describe(ref))?.state).toBe('pending');
    clock.advance(1);
    expect(await sim.describe(ref)).toMatchObject({ state: 'running', privateIp: expect.stringMatching(/^10\./) });
  });

  it('fails the configured share of launches, with a fault and no address', async () => {
    const { sim, clock } = cloud({ failureRate: 0.25, seed: 3 });
    const refs = await Promise.all(Array.from({ length: 2_000 }, () => sim.launch(spec())));
    clock.advance(60_000);
    const failed = (await sim.list()).filter((i) => i.state === 'error');
    expect(failed.length / refs.length).toBeGreaterThan(0.2);
    expect(failed.length / refs.length).toBeLessThan(0.3);
    expect(failed.every((i) => i.fault && i.privateIp === undefined)).toBe(true);
  });

  it('repeats the same boot times and failures for the same seed', async () => {
    const run = async (): Promise<string[]> => {
      const { sim, clock } = cloud({ failureRate: 0.5, seed: 99 });
      for (let i = 0; i < 50; i += 1) await sim.launch(spec());
      clock.advance(45_000);
      return (await sim.list()).map((i) => i.state);
    };
    expect(await run()).toEqual(await run());
  });

  it('lists 50,000 instances of its installation and none of another', async () => {
    const { sim, clock } = cloud();
    for (let i = 0; i < 50_000; i += 1) await sim.launch(spec());
    sim.addForeign();
    sim.addForeign({});
    clock.advance(60_000);
    const listed = await sim.list();
    expect(listed.length).toBe(50_000);
    expect(new Set(listed.map((i) => i.privateIp)).size).toBe(50_000);
    expect(listed.every((i) => i.state === 'running' && i.tags[OwnerTag.Installation] === installation)).toBe(true);
  });

  it('merges tags, and an instance retagged to another installation leaves the list', async () => {
    const { sim } = cloud();
    const ref = await sim.launch(spec());
    await sim.tag(ref, { [OwnerTag.User]: 'ada' });
    expect((await sim.describe(ref))?.tags).toMatchObject({ [OwnerTag.User]: 'ada', [OwnerTag.Type]: 't' });
    await sim.tag(ref, { [OwnerTag.Installation]: 'elsewhere' });
    expect(await sim.list()).toEqual([]);
    await expect(sim.tag({ id: 'i-gone' }, { a: 'b' })).resolves.toBeUndefined();
  });
});

describe('sim faults', () => {
  it('rejects a spec with an unknown image or without owner tags', async () => {
    const { sim } = cloud();
    await expect(sim.launch(spec({ image: 'other' }))).rejects.toThrow(InvalidSpecError);
    await expect(sim.launch(spec({ tags: { [OwnerTag.Machine]: 'm-x' } }))).rejects.toThrow(/lack hearth:installation/);
  });

  it('fails queued launches in order, then launches normally again', async () => {
    const { sim } = cloud();
    sim.failNextLaunch('auth');
    sim.failNextLaunch('unavailable');
    await expect(sim.launch(spec())).rejects.toBeInstanceOf(AuthError);
    await expect(sim.launch(spec())).rejects.toBeInstanceOf(CloudUnavailableError);
    await expect(sim.launch(spec())).resolves.toBeDefined();
  });

  it('answers only after its latency, and an abort while waiting creates nothing', async () => {
    const { sim, clock } = cloud();
    sim.setLatency(200);
    const first = sim.launch(spec());
    expect(clock.sleeping).toBe(1);
    clock.advance(200);
    await expect(first).resolves.toBeDefined();
    const controller = new AbortController();
    const second = sim.launch(spec(), { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(second).rejects.toBeInstanceOf(AbortedError);
    sim.resetFaults();
    expect((await sim.list()).length).toBe(1);
  });

  it('rejects every call during an outage, probe included, until it ends', async () => {
    const { sim } = cloud();
    sim.setOutage(true);
    await expect(sim.probe()).rejects.toBeInstanceOf(CloudUnavailableError);
    await expect(sim.list()).rejects.toBeInstanceOf(CloudUnavailableError);
    sim.resetFaults();
    await expect(sim.probe()).resolves.toBeUndefined();
  });
});
