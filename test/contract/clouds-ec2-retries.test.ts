import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
  type CloudDriver,
} from '@hearth/clouds';
import { driverFor, newInstallation, specMaker } from '../fakes/ec2/driver-for.js';
import { startEc2Fake, type Ec2Fake } from '../fakes/ec2/index.js';

// How the ec2 driver meets EC2's failures, each injected by the fake and carried through the
// real AWS SDK: throttling and 5xx are sent again after a back-off, up to maxAttempts sends;
// everything else becomes the CloudError the pool manager branches on, at the first answer.

let fake: Ec2Fake;
let ec2: CloudDriver;
const installation = newInstallation('ec2-retries');
const spec = specMaker(installation);
const maxAttempts = 3;

beforeAll(async () => {
  fake = await startEc2Fake({ instanceLimit: 50 });
  ec2 = driverFor(fake, installation, { maxAttempts });
});

afterEach(() => fake.reset());

afterAll(async () => {
  await ec2?.close();
  await fake?.close();
});

describe('ec2 back-off', () => {
  it('sends a throttled call again and succeeds once EC2 lets it through', async () => {
    fake.faults.throttle(2);
    await expect(ec2.probe()).resolves.toBeUndefined();
    expect(fake.callsOf('DescribeAccountAttributes').map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it('stops after maxAttempts sends while EC2 keeps throttling: a retryable CloudUnavailableError', async () => {
    fake.faults.throttle(100);
    const err: unknown = await ec2.probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudUnavailableError);
    expect((err as CloudError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/RequestLimitExceeded/);
    expect(fake.callsOf('DescribeAccountAttributes')).toHaveLength(maxAttempts);
  });

  it('sends a launch that met InternalError again, with the same ClientToken', async () => {
    fake.faults.serverErrors(1);
    const ref = await ec2.launch(spec());
    const calls = fake.callsOf('RunInstances');
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
    expect(new Set(calls.map((c) => c.params.get('ClientToken'))).size).toBe(1);
    await ec2.terminate(ref);
  });
});

describe('ec2 error mapping', () => {
  it.each([
    ['InsufficientInstanceCapacity', CapacityError],
    ['InstanceLimitExceeded', QuotaExceededError],
    ['VcpuLimitExceeded', QuotaExceededError],
    ['Unsupported', InvalidSpecError],
    ['InvalidParameterValue', InvalidSpecError],
    ['InvalidAMIID.Malformed', InvalidSpecError],
    ['InvalidSubnetID.NotFound', InvalidSpecError],
    ['AuthFailure', AuthError],
    ['UnauthorizedOperation', AuthError],
    ['Unavailable', CloudUnavailableError],
  ] as const)('maps %s on launch to %s, asking once unless a retry can help', async (code, type) => {
    fake.faults.failLaunches(code, maxAttempts);
    const err: unknown = await ec2.launch(spec()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as CloudError).cloud).toBe('ec2-fake');
    expect((err as Error).message).toContain(code);
    const sends = fake.callsOf('RunInstances').length;
    expect(sends).toBe(code === 'Unavailable' ? maxAttempts : 1);
  });
});
