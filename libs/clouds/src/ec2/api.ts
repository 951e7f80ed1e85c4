import type {
  EC2Client,
  EC2ClientConfig,
  Filter,
  Instance as Ec2Instance,
  InstanceTypeInfo,
  RunInstancesRequest,
  Tag,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import type { Logger } from '@hearth/log';
import type { CallOptions } from '../driver.js';
import { CloudError } from '../errors.js';
import { callEc2, defaultBackoff, type CallPolicy } from './call.js';
import type { Ec2Settings } from './config.js';
import { isInstanceNotFound } from './errors.js';

/** Credentials for the client; the SDK's default chain when absent. Tests pass static ones. */
export type Ec2Credentials = EC2ClientConfig['credentials'];

type Sdk = typeof import('@aws-sdk/client-ec2');

/** Largest page DescribeInstances serves (MaxResults 5 to 1000). */
const pageSize = 1000;

/** Most instance types one DescribeInstanceTypes call may name. */
const typesPerCall = 100;

/** The call's answer, or undefined when it failed because EC2 does not know the instance id. */
async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof CloudError && isInstanceNotFound(err.cause)) return undefined;
    throw err;
  }
}

/**
 * The EC2 Query API calls the driver makes, each through callEc2 (deadline, caller's signal,
 * bounded back-off on throttling). The SDK's own retries are off (maxAttempts 1), so the
 * retry budget is ours alone, and the SDK's error is classified by errors.ts.
 */
export class Ec2Api {
  readonly #config: EC2ClientConfig;
  readonly #policy: CallPolicy;
  /**
   * The SDK and its client, loaded on the first call: the SDK is several megabytes of code,
   * which a pool manager without an ec2 cloud would otherwise carry (and its garbage
   * collector walk) all its life.
   */
  #loaded: Promise<{ sdk: Sdk; client: EC2Client }> | undefined;

  constructor(settings: Ec2Settings, deps: { log: Logger; credentials?: Ec2Credentials }) {
    this.#policy = {
      cloud: settings.name,
      timeoutMs: settings.requestTimeoutMs,
      maxAttempts: settings.maxAttempts,
      ...defaultBackoff,
      log: deps.log,
    };
    this.#config = {
      region: settings.region,
      ...(settings.profile === undefined ? {} : { profile: settings.profile }),
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(deps.credentials === undefined ? {} : { credentials: deps.credentials }),
      maxAttempts: 1,
      requestHandler: { requestTimeout: settings.requestTimeoutMs, connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000) },
    };
  }

  #load(): Promise<{ sdk: Sdk; client: EC2Client }> {
    this.#loaded ??= import('@aws-sdk/client-ec2').then((sdk) => ({ sdk, client: new sdk.EC2Client(this.#config) }));
    return this.#loaded;
  }

  /** EC2: RunInstances. Returns the first (only) instance of the reservation. */
  async runInstance(input: RunInstancesRequest, doing: string, opts: CallOptions | undefined): Promise<Ec2Instance | undefined> {
    const { sdk, client } = await this.#load();
    const out = await callEc2(this.#policy, doing, opts, (abortSignal) =>
      client.send(new sdk.RunInstancesCommand(input), { abortSignal }),
    );
    return out.Instances?.[0];
  }

  /** EC2: DescribeInstances by id; undefined for an id EC2 does not know (InvalidInstanceID.NotFound). */
  async describeInstance(id: string, doing: string, opts: CallOptions | undefined): Promise<Ec2Instance | undefined> {
    const { sdk, client } = await this.#load();
    const out = await unlessNotFound(
      callEc2(this.#policy, doing, opts, (abortSignal) =>
        client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [id] }), { abortSignal }),
      ),
    );
    return out?.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
  }

  /** EC2: DescribeInstances with filters, following NextToken until the last page. */
  async describeInstances(filters: Filter[], doing: string, opts: CallOptions | undefined): Promise<Ec2Instance[]> {
    const { sdk, client } = await this.#load();
    const instances: Ec2Instance[] = [];
    let token: string | undefined;
    do {
      const input = { Filters: filters, MaxResults: pageSize, ...(token === undefined ? {} : { NextToken: token }) };
      const out = await callEc2(this.#policy, doing, opts, (abortSignal) =>
        client.send(new sdk.DescribeInstancesCommand(input), { abortSignal }),
      );
      for (const reservation of out.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      // an empty token ends the listing as surely as a missing one
      token = out.NextToken || undefined;
    } while (token !== undefined);
    return instances;
  }

  /** EC2: TerminateInstances of one instance; false when EC2 does not know the id. */
  async terminateInstance(id: string, doing: string, opts: CallOptions | undefined): Promise<boolean> {
    const { sdk, client } = await this.#load();
    const out = await unlessNotFound(
      callEc2(this.#policy, doing, opts, (abortSignal) =>
        client.send(new sdk.TerminateInstancesCommand({ InstanceIds: [id] }), { abortSignal }),
      ),
    );
    return out !== undefined;
  }

  /** EC2: CreateTags on one instance, adding tags and overwriting those of the same keys; false when EC2 does not know it. */
  async createTags(id: string, tags: Tag[], doing: string, opts: CallOptions | undefined): Promise<boolean> {
    const { sdk, client } = await this.#load();
    const out = await unlessNotFound(
      callEc2(this.#policy, doing, opts, (abortSignal) =>
        client.send(new sdk.CreateTagsCommand({ Resources: [id], Tags: tags }), { abortSignal }),
      ),
    );
    return out !== undefined;
  }

  /** EC2: DescribeAccountAttributes (all of them), as name → values. */
  async accountAttributes(doing: string, opts: CallOptions | undefined): Promise<Map<string, string[]>> {
    const { sdk, client } = await this.#load();
    const out = await callEc2(this.#policy, doing, opts, (abortSignal) =>
      client.send(new sdk.DescribeAccountAttributesCommand({}), { abortSignal }),
    );
    const attributes = new Map<string, string[]>();
    for (const a of out.AccountAttributes ?? []) {
      if (a.AttributeName) attributes.set(a.AttributeName, (a.AttributeValues ?? []).flatMap((v) => v.AttributeValue ?? []));
    }
    return attributes;
  }

  /** EC2: DescribeInstanceTypes of the named types, in calls of at most 100 names. */
  async instanceTypes(names: readonly string[], doing: string, opts: CallOptions | undefined): Promise<InstanceTypeInfo[]> {
    const { sdk, client } = await this.#load();
    const infos: InstanceTypeInfo[] = [];
    for (let i = 0; i < names.length; i += typesPerCall) {
      // the names are InstanceType values EC2 itself reported for running instances
      const InstanceTypes = names.slice(i, i + typesPerCall) as _InstanceType[];
      const out = await callEc2(this.#policy, doing, opts, (abortSignal) =>
        client.send(new sdk.DescribeInstanceTypesCommand({ InstanceTypes }), { abortSignal }),
      );
      infos.push(...(out.InstanceTypes ?? []));
    }
    return infos;
  }

  /** Closes the SDK's sockets (none when no call was made). */
  close(): void {
    void this.#loaded?.then(({ client }) => client.destroy(), () => undefined);
  }
}
