import { randomUUID } from 'node:crypto';
import { OwnerTag, SimCloud, SimFault, type LaunchSpec, type SimConfig } from '@hearth/clouds';
import { describeCloudDriver } from '@hearth/clouds/contract';
import { createLogger } from '@hearth/log';

// The sim driver is the fake that pool-manager unit tests and benchmarks rely on; holding it
// to the same contract as the real drivers keeps it from drifting away from them.
const config: SimConfig = {
  driver: 'sim',
  name: 'sim-contract',
  region: 'sim-region',
  bootTimeMs: { distribution: 'fixed', meanMs: 50 },
  limits: { instances: 100, cores: 400, ramMb: 409_600 },
  images: ['hearth-base'],
  seed: 7,
};

describeCloudDriver('sim', async () => {
  const installation = `contract-${randomUUID().slice(0, 8)}`;
  const sim = new SimCloud(config, { log: createLogger({ service: 'contract', level: 'silent' }), installation });
  let sequence = 0;
  const spec = (overrides: Partial<LaunchSpec> = {}): LaunchSpec => {
    sequence += 1;
    const machineId = `m-contract-${sequence}`;
    return {
      machineId,
      type: 'analysis-2',
      image: 'hearth-base',
      cpus: 2,
      memoryMb: 4096,
      tags: { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: 'analysis-2' },
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIContractSuiteKeyOnly hearth-contract'],
      ...overrides,
    };
  };
  return {
    driver: sim,
    spec,
    installation,
    waitBudgetMs: 5_000,
    faults: {
      quota: async () => sim.failNextLaunch(SimFault.Quota),
      capacity: async () => sim.failNextLaunch(SimFault.Capacity),
      unavailable: async () => sim.failNextLaunch(SimFault.Unavailable),
      reset: async () => sim.resetFaults(),
    },
    foreign: async () => {
      sim.addForeign();
      sim.addForeign({});
    },
    cleanup: () => sim.close(),
  };
});
