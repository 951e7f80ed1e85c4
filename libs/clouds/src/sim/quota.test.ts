import { createLogger } from '@hearth/log';
import { describe, expect, it } from 'vitest';
import { OwnerTag, type LaunchSpec } from '../driver.js';
import { QuotaExceededError } from '../errors.js';
import { ManualClock } from './clock.js';
import type { SimConfig } from './config.js';
import { SimCloud } from './driver.js';

const installation = 'inst-quota';
const log = createLogger({ service: 'sim-test', level: 'silent' });

function cloud(limits: SimConfig['limits'], deleteTimeMs = 0): { sim: SimCloud; clock: ManualClock } {
  const clock = new ManualClock(1_000_000);
  const config: SimConfig = {
    driver: 'sim',
    name: 'sim-q',
    region: 'r1',
    bootTimeMs: { distribution: 'fixed', meanMs: 1_000 },
    deleteTimeMs,
    images: ['base'],
    ...(limits ? { limits } : {}),
  };
  return { sim: new SimCloud(config, { log, installation, clock }), clock };
}

let sequence = 0;
function spec(cpus = 2, memoryMb = 1024): LaunchSpec {
  sequence += 1;
  const machineId = `m-${sequence}`;
  const tags = { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: 't' };
  return { machineId, type: 't', image: 'base', cpus, memoryMb, tags, authorizedKeys: [] };
}

describe('sim quota', () => {
  it('reports Infinity for every limit the config leaves out', async () => {
    const { sim } = cloud({ cores: 8 });
    expect((await sim.quota()).limits).toEqual({ instances: Infinity, cores: 8, ramMb: Infinity });
  });

  it('counts instances, cores and memory of every launch', async () => {
    const { sim } = cloud(undefined);
    await sim.launch(spec(2, 1024));
    await sim.launch(spec(4, 2048));
    expect((await sim.quota()).used).toEqual({ instances: 2, cores: 6, ramMb: 3072 });
  });

  it('refuses the launch that would pass the instance limit, naming the limit', async () => {
    const { sim } = cloud({ instances: 2 });
    await sim.launch(spec());
    await sim.launch(spec());
    const launch = sim.launch(spec());
    await expect(launch).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(launch).rejects.toThrow(/quota exceeded \(instances 2\/2\)/);
  });

  it('refuses a launch whose cores or memory do not fit, and creates nothing', async () => {
    const { sim } = cloud({ cores: 4, ramMb: 4096 });
    await sim.launch(spec(3, 1024));
    await expect(sim.launch(spec(2, 1024))).rejects.toThrow(/cores 3\+2\/4/);
    await expect(sim.launch(spec(1, 4000))).rejects.toThrow(/ramMb 1024\+4000\/4096/);
    expect((await sim.list()).length).toBe(1);
  });

  it('admits exactly as many parallel launches as the limit allows', async () => {
    const { sim } = cloud({ instances: 5 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => sim.launch(spec())));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5);
    expect(results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof QuotaExceededError)).toBe(true);
  });

  it('frees the quota at once when deletion takes no time', async () => {
    const { sim } = cloud({ instances: 1 });
    const ref = await sim.launch(spec());
    await sim.terminate(ref);
    expect((await sim.quota()).used.instances).toBe(0);
    await expect(sim.launch(spec())).resolves.toBeDefined();
  });

  it('keeps counting a deleting instance until its deletion has finished', async () => {
    const { sim, clock } = cloud({ instances: 1 }, 5_000);
    const ref = await sim.launch(spec(2, 512));
    await sim.terminate(ref);
    expect((await sim.describe(ref))?.state).toBe('deleting');
    await expect(sim.launch(spec())).rejects.toBeInstanceOf(QuotaExceededError);
    clock.advance(5_000);
    expect(await sim.describe(ref)).toBeUndefined();
    expect((await sim.quota()).used).toEqual({ instances: 0, cores: 0, ramMb: 0 });
  });

  it('counts instances of other installations in the same account, and terminating twice frees once', async () => {
    const { sim } = cloud({ instances: 3 });
    sim.addForeign();
    const ref = await sim.launch(spec(1, 256));
    await sim.terminate(ref);
    await sim.terminate(ref);
    expect((await sim.quota()).used).toEqual({ instances: 1, cores: 1, ramMb: 512 });
  });
});
