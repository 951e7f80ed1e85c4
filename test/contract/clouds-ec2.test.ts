import { OwnerTag } from '@hearth/clouds';
import { describeCloudDriver } from '@hearth/clouds/contract';
import { driverFor, newInstallation, specMaker } from '../fakes/ec2/driver-for.js';
import { startEc2Fake } from '../fakes/ec2/index.js';

// The ec2 driver, through the real AWS SDK and its HTTP and signing code, against the fake of
// the EC2 Query API in test/fakes/ec2. AWS itself cannot be reached from here; the fake is
// written from the EC2 API reference, and its fault controls stand in for the failures a real
// account will not produce on demand.
describeCloudDriver('ec2', async () => {
  const fake = await startEc2Fake({ instanceLimit: 100, pendingMs: 100, shuttingDownMs: 100 });
  const installation = newInstallation('contract');
  const driver = driverFor(fake, installation);
  return {
    driver,
    spec: specMaker(installation),
    installation,
    waitBudgetMs: 10_000,
    unknownRef: { id: 'i-0123456789abcdef0' },
    faults: {
      quota: async () => fake.faults.failLaunches('InstanceLimitExceeded'),
      capacity: async () => fake.faults.failLaunches('InsufficientInstanceCapacity'),
      unavailable: async () => fake.faults.outage(true),
      reset: async () => fake.faults.reset(),
    },
    foreign: async () => {
      fake.addForeign({});
      fake.addForeign({ [OwnerTag.Installation]: `other-${installation}`, [OwnerTag.Machine]: 'm-foreign' });
    },
    cleanup: async () => {
      await driver.close();
      await fake.close();
    },
  };
});
