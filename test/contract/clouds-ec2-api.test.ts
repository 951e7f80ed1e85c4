import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  AuthError,
  CloudUnavailableError,
  InvalidSpecError,
  OwnerTag,
  QuotaExceededError,
  createDriver,
  type CloudDriver,
} from '@hearth/clouds';
import { createLogger } from '@hearth/log';
import { cloudConfigFor, driverFor, fakeCredentialEnv, newInstallation, specMaker } from '../fakes/ec2/driver-for.js';
import { fakeIds, startEc2Fake, type Ec2Fake } from '../fakes/ec2/index.js';
import { waitFor } from '../helpers/wait-for.js';

// The ec2 driver's use of the EC2 API beyond the contract: paging, ClientToken idempotency,
// launch details (tags on volumes, user data), quota, credentials and signals. Always through
// the real AWS SDK against test/fakes/ec2.

let fake: Ec2Fake;
const otherImage = 'ami-0b1b2c3d4e5f60002';
const installation = newInstallation('ec2-api');
const spec = specMaker(installation);
const drivers: CloudDriver[] = [];

function driver(config: Parameters<typeof driverFor>[2] = {}, credentials?: { accessKeyId: string; secretAccessKey: string }): CloudDriver {
  const made = driverFor(fake, installation, config, credentials);
  drivers.push(made);
  return made;
}

beforeAll(async () => {
  fake = await startEc2Fake({ instanceLimit: 40, pageSize: 5, pendingMs: 50, shuttingDownMs: 50, images: [fakeIds.image, otherImage] });
});

afterEach(() => fake.reset());

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.close()));
  await fake?.close();
});

describe('ec2 list', () => {
  it('follows NextToken over several pages and leaves out other installations', async () => {
    const ec2 = driver();
    // 1. twelve of ours and two strangers; the fake serves at most 5 instances a page
    const refs = await Promise.all(Array.from({ length: 12 }, () => ec2.launch(spec())));
    fake.addForeign({ [OwnerTag.Installation]: 'someone-else' });
    fake.addForeign({});
    fake.reset();
    // 2. list has all twelve, and nothing else
    const listed = await ec2.list();
    expect(listed.map((i) => i.ref.id).sort()).toEqual(refs.map((r) => r.id).sort());
    // 3. it took three DescribeInstances pages, the later two asking with the token of the one before
    const pages = fake.callsOf('DescribeInstances');
    expect(pages).toHaveLength(3);
    expect(pages.map((p) => p.params.has('NextToken'))).toEqual([false, true, true]);
    expect(pages[0]?.params.get('Filter.1.Name')).toBe(`tag:${OwnerTag.Installation}`);
    // 4. a throttled second page is asked for again with the same token, and nothing is lost
    fake.reset();
    fake.faults.throttle(1, 1);
    expect((await ec2.list()).map((i) => i.ref.id).sort()).toEqual(refs.map((r) => r.id).sort());
    const retried = fake.callsOf('DescribeInstances');
    expect(retried.map((c) => c.status)).toEqual([200, 503, 200, 200]);
    expect(retried[1]?.params.get('NextToken')).toBe(retried[2]?.params.get('NextToken'));
    await Promise.all(refs.map((r) => ec2.terminate(r)));
  });
});

describe('ec2 launch', () => {
  it('returns the same instance when the same machine is launched again (ClientToken)', async () => {
    const ec2 = driver();
    const one = spec();
    const first = await ec2.launch(one);
    const second = await ec2.launch(one);
    expect(second.id).toBe(first.id);
    const tokens = fake.callsOf('RunInstances').map((c) => c.params.get('ClientToken'));
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
    expect((await ec2.list()).filter((i) => i.tags[OwnerTag.Machine] === one.machineId)).toHaveLength(1);
  });

  it('makes one instance when the answer to RunInstances is lost and the request is sent again', async () => {
    const ec2 = driver();
    const one = spec();
    // 1. EC2 launches, but the connection drops before the answer arrives
    fake.faults.dropResponses('RunInstances', 1);
    const ref = await ec2.launch(one);
    // 2. the driver sent it twice with one ClientToken; EC2 made one instance
    const calls = fake.callsOf('RunInstances');
    expect(calls.map((c) => c.status)).toEqual([0, 200]);
    expect(calls[0]?.params.get('ClientToken')).toBe(calls[1]?.params.get('ClientToken'));
    const mine = [...fake.account.instances.values()].filter((i) => i.tags.get(OwnerTag.Machine) === one.machineId);
    expect(mine.map((i) => i.id)).toEqual([ref.id]);
  });

  it('refuses to relaunch a machine id with another image (IdempotentParameterMismatch) as InvalidSpecError', async () => {
    const ec2 = driver();
    const one = spec();
    await ec2.launch(one);
    await expect(ec2.launch({ ...one, image: otherImage })).rejects.toBeInstanceOf(InvalidSpecError);
  });

  it('tags the instance and its volume, and installs the keys for root through cloud-init', async () => {
    const ec2 = driver({ keyName: 'hearth' });
    const one = spec({ userData: '#!/bin/sh\necho hello > /tmp/hello\n' });
    const ref = await ec2.launch(one);
    const instance = fake.account.instances.get(ref.id);
    expect(Object.fromEntries(instance?.tags ?? [])).toMatchObject({ ...one.tags, Name: one.machineId });
    expect(Object.fromEntries(instance?.volumeTags ?? [])).toMatchObject(one.tags);
    expect(instance?.keyName).toBe('hearth');
    expect(instance?.userData).toContain('multipart/mixed');
    expect(instance?.userData).toContain('- name: root');
    expect(instance?.userData).toContain(JSON.stringify(one.authorizedKeys[0]));
    expect(instance?.userData).toContain('echo hello > /tmp/hello');
    const run = fake.callsOf('RunInstances')[0]?.params;
    expect(run?.get('MetadataOptions.HttpTokens')).toBe('required');
    expect(run?.get('SubnetId')).toBe([...fake.catalog.subnets][0]);
  });

  it('refuses to relaunch a machine id whose instance was terminated, instead of answering with the dead one', async () => {
    const ec2 = driver();
    const one = spec();
    const ref = await ec2.launch(one);
    await ec2.terminate(ref);
    const err: unknown = await ec2.launch(one).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSpecError);
    expect((err as Error).message).toContain(ref.id);
  });

  it('rejects an unknown instance type and an unknown AMI with InvalidSpecError', async () => {
    const ec2 = driver();
    await expect(ec2.launch(spec({ flavor: 'x9.huge' }))).rejects.toBeInstanceOf(InvalidSpecError);
    await expect(ec2.launch(spec({ image: 'ami-0fffffffffffffff0' }))).rejects.toThrow(/InvalidAMIID.NotFound/);
  });

  it('rejects launches past the account instance limit with QuotaExceededError', async () => {
    const small = await startEc2Fake({ instanceLimit: 2 });
    const ec2 = driverFor(small, installation);
    try {
      await ec2.launch(spec());
      await ec2.launch(spec());
      const err: unknown = await ec2.launch(spec()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QuotaExceededError);
      expect((err as Error).message).toMatch(/InstanceLimitExceeded/);
    } finally {
      await ec2.close();
      await small.close();
    }
  });
});

describe('ec2 quota', () => {
  it('reports max-instances as the instance limit and counts vCPUs and memory of running instances', async () => {
    const own = await startEc2Fake({ instanceLimit: 7 });
    const ec2 = driverFor(own, installation);
    const limited = driverFor(own, installation, { limits: { instances: 5, cores: 32 } });
    try {
      await ec2.launch(spec({ flavor: 't3.micro' }));
      await ec2.launch(spec({ flavor: 'm5.xlarge' }));
      own.addForeign({});
      const quota = await ec2.quota();
      expect(quota.limits).toEqual({ instances: 7, cores: Infinity, ramMb: Infinity });
      // the limits are the account's, so use counts the stranger too (a t3.micro)
      expect(quota.used).toEqual({ instances: 3, cores: 2 + 4 + 2, ramMb: 1024 + 16384 + 1024 });
      expect((await limited.quota()).limits).toEqual({ instances: 5, cores: 32, ramMb: Infinity });
    } finally {
      await ec2.close();
      await limited.close();
      await own.close();
    }
  });
});

describe('ec2 tag', () => {
  it('merges tags into the instance and ignores an instance that is gone', async () => {
    const ec2 = driver();
    const one = spec();
    const ref = await ec2.launch(one);
    await ec2.tag(ref, { [OwnerTag.User]: 'ada' });
    expect((await ec2.describe(ref))?.tags).toMatchObject({ ...one.tags, [OwnerTag.User]: 'ada' });
    await expect(ec2.tag({ id: 'i-0123456789abcdef0' }, { [OwnerTag.User]: 'bob' })).resolves.toBeUndefined();
    await expect(ec2.tag(ref, { [OwnerTag.Installation]: 'another' })).rejects.toBeInstanceOf(InvalidSpecError);
  });
});

describe('ec2 credentials and signals', () => {
  it('takes credentials from the default chain (here the environment) when made by createDriver', async () => {
    const env = { ...fakeCredentialEnv(fake), AWS_PROFILE: undefined };
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    const apply = (values: Record<string, string | undefined>): void => {
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    };
    apply(env);
    const ec2 = createDriver(cloudConfigFor(fake), { log: createLogger({ service: 'ec2-api-test', level: 'silent' }), installation });
    try {
      await expect(ec2.probe()).resolves.toBeUndefined();
      const [call] = fake.callsOf('DescribeAccountAttributes');
      expect(call?.status).toBe(200);
    } finally {
      await ec2.close();
      apply(saved);
    }
  });

  it('maps a wrong secret (SignatureDoesNotMatch) and an unknown key (AuthFailure) to AuthError', async () => {
    const wrongSecret = driver({}, { accessKeyId: fake.credentials.accessKeyId, secretAccessKey: 'not-the-secret' });
    await expect(wrongSecret.probe()).rejects.toBeInstanceOf(AuthError);
    const unknownKey = driver({}, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: fake.credentials.secretAccessKey });
    await expect(unknownKey.probe()).rejects.toThrow(/AuthFailure/);
  });

  it('rejects with AbortedError when the caller aborts a call in flight', async () => {
    const ec2 = driver();
    fake.faults.latencyMs = 30_000;
    const controller = new AbortController();
    const probe = ec2.probe({ signal: controller.signal }).catch((e: unknown) => e);
    // abort once the fake holds the request, so the abort lands mid-call
    await waitFor(() => fake.callsOf('DescribeAccountAttributes').length > 0, { what: 'the probe to reach the fake', timeoutMs: 10_000 });
    controller.abort();
    expect(await probe).toBeInstanceOf(AbortedError);
  });

  it('gives up at requestTimeoutMs with a retryable CloudUnavailableError', async () => {
    const ec2 = driver({ requestTimeoutMs: 300 });
    fake.faults.latencyMs = 30_000;
    const err: unknown = await ec2.probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudUnavailableError);
    expect((err as Error).message).toMatch(/no answer within 300 ms/);
  });
});

describe('ec2 describe', () => {
  it('describes a terminated instance as gone', async () => {
    const ec2 = driver();
    const ref = await ec2.launch(spec());
    await ec2.terminate(ref);
    const described = await waitFor(async () => ((await ec2.describe(ref)) === undefined ? 'gone' : undefined), {
      what: `instance ${ref.id} gone`,
      timeoutMs: 10_000,
    });
    expect(described).toBe('gone');
    expect(fake.account.instances.get(ref.id)).toBeDefined();
  });
});
