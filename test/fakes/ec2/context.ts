import type { FakeAccount, InstanceTypeShape } from './account.js';
import type { QueryParams } from './query.js';

/** What the account offers to launch with: the AMIs, subnets, groups and key pairs that exist. */
export interface FakeCatalog {
  region: string;
  availabilityZone: string;
  ownerId: string;
  vpcId: string;
  images: ReadonlySet<string>;
  subnets: ReadonlySet<string>;
  securityGroups: ReadonlySet<string>;
  keyPairs: ReadonlySet<string>;
  instanceTypes: Readonly<Record<string, InstanceTypeShape>>;
}

/** The account's limits; `max-instances` of DescribeAccountAttributes is `instances`. */
export interface FakeLimits {
  instances: number;
  vcpus: number;
}

/** One request as the action handlers see it. */
export interface ActionContext {
  params: QueryParams;
  requestId: string;
  account: FakeAccount;
  catalog: FakeCatalog;
  limits: FakeLimits;
  /** The largest page DescribeInstances serves, whatever MaxResults asks for (EC2 may return fewer). */
  pageSize: number;
}

/** An action handler: the response document, or an Ec2ApiError thrown. */
export type Action = (ctx: ActionContext) => string;
