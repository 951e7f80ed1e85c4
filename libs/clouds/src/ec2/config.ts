import Type, { type Static } from 'typebox';
import { Duration, type Frozen } from '@hearth/config';

/** How long one EC2 API call may take, retries included, when the config does not say. */
export const defaultRequestTimeoutMs = 30_000;

/** How many times one call is sent when EC2 throttles or answers 5xx, when the config does not say. */
export const defaultMaxAttempts = 4;

/**
 * Limits Hearth keeps itself to in this account and region; a missing limit is whatever the
 * account reports (`max-instances`), else no limit (Infinity).
 */
export const Ec2Limits = Type.Object(
  {
    instances: Type.Optional(
      Type.Integer({ minimum: 0, description: 'most running instances in the account and region (quota.limits.instances)' }),
    ),
    cores: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          "the account's running On-Demand vCPU quota (Service Quotas L-1216C47A for standard types), which EC2 does not report itself",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * One EC2 cloud: one account (whatever the standard AWS credential chain resolves: environment,
 * shared config and credentials files, `profile`, SSO, instance role) in one region. Machines
 * are launched into `subnetId` with `securityGroupIds`, and root's authorized keys arrive by
 * cloud-init user data (plus `keyName`, when set, as EC2 installs it for the image's default user).
 */
export const Ec2Config = Type.Object(
  {
    driver: Type.Literal('ec2'),
    name: Type.String({ minLength: 1, description: 'the cloud name pools refer to' }),
    region: Type.String({ minLength: 1, description: 'the AWS region, e.g. eu-west-1' }),
    profile: Type.Optional(
      Type.String({ minLength: 1, description: 'the profile in ~/.aws/config and ~/.aws/credentials; AWS_PROFILE or default when absent' }),
    ),
    endpoint: Type.Optional(
      Type.String({ pattern: '^https?://', description: 'the EC2 API endpoint URL; the region\'s public endpoint when absent' }),
    ),
    subnetId: Type.String({
      pattern: '^subnet-[0-9a-f]+$',
      description: "the region's private subnet machines are launched into; a launch spec's `network` overrides it",
    }),
    securityGroupIds: Type.Optional(
      Type.Array(Type.String({ pattern: '^sg-[0-9a-f]+$' }), {
        minItems: 1,
        description: "security groups of every machine; the subnet's VPC default group when absent",
      }),
    ),
    keyName: Type.Optional(Type.String({ minLength: 1, description: 'an EC2 key pair, installed for the image default user' })),
    instanceType: Type.Optional(
      Type.String({ minLength: 1, description: 'the instance type of a launch spec that names no flavor, e.g. m6i.large' }),
    ),
    requestTimeoutMs: Type.Optional(
      Duration({ exclusiveMinimum: 0, description: 'longest wait for one API call, retries included; 30s when absent' }),
    ),
    maxAttempts: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10,
        description: 'how often one call is sent while EC2 throttles or answers 5xx, backing off in between; 4 when absent',
      }),
    ),
    limits: Type.Optional(Ec2Limits),
  },
  { additionalProperties: false },
);

/** An ec2 cloud's configuration section, as loadConfig returns it (or a plain literal in tests). */
export type Ec2Config = Frozen<Static<typeof Ec2Config>>;

/** The settings an Ec2Driver runs with, every optional field filled in. */
export interface Ec2Settings {
  name: string;
  region: string;
  profile?: string;
  endpoint?: string;
  subnetId: string;
  securityGroupIds: readonly string[];
  keyName?: string;
  instanceType?: string;
  requestTimeoutMs: number;
  maxAttempts: number;
  limits: { instances?: number; cores?: number };
}

/** Fills in what the config left out: a 30 s call timeout, 4 attempts, the account's own limits. */
export function ec2Settings(config: Ec2Config): Ec2Settings {
  return {
    name: config.name,
    region: config.region,
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    subnetId: config.subnetId,
    securityGroupIds: config.securityGroupIds ?? [],
    ...(config.keyName === undefined ? {} : { keyName: config.keyName }),
    ...(config.instanceType === undefined ? {} : { instanceType: config.instanceType }),
    requestTimeoutMs: config.requestTimeoutMs ?? defaultRequestTimeoutMs,
    maxAttempts: config.maxAttempts ?? defaultMaxAttempts,
    limits: {
      ...(config.limits?.instances === undefined ? {} : { instances: config.limits.instances }),
      ...(config.limits?.cores === undefined ? {} : { cores: config.limits.cores }),
    },
  };
}
