import Type, { type Static } from 'typebox';
import { Duration, type Frozen } from '@hearth/config';

/** The compute API microversion sent when the config does not say: Train, with server tags at create (2.52). */
export const defaultComputeMicroversion = '2.79';

/** The oldest microversion the driver can work with: tags in POST /servers arrived in 2.52. */
export const minimumComputeMicroversion = '2.52';

/** How long one API request may take when the config does not say. */
export const defaultRequestTimeoutMs = 30_000;

/** Inline credentials, in camelCase; each key overrides the same key (snake_case) of the clouds.yaml entry. */
export const OpenStackAuth = Type.Object(
  {
    authUrl: Type.Optional(Type.String({ minLength: 1, description: 'Keystone v3 URL, e.g. https://keystone.example.org:5000/v3' })),
    authType: Type.Optional(
      Type.Union([Type.Literal('password'), Type.Literal('v3applicationcredential')], {
        description: 'password (the default) or v3applicationcredential',
      }),
    ),
    username: Type.Optional(Type.String({ minLength: 1 })),
    userId: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ minLength: 1, description: 'write ${env:OS_PASSWORD} or ${file:/path}, never the secret itself' })),
    userDomainName: Type.Optional(Type.String({ minLength: 1 })),
    userDomainId: Type.Optional(Type.String({ minLength: 1 })),
    projectName: Type.Optional(Type.String({ minLength: 1 })),
    projectId: Type.Optional(Type.String({ minLength: 1 })),
    projectDomainName: Type.Optional(Type.String({ minLength: 1 })),
    projectDomainId: Type.Optional(Type.String({ minLength: 1 })),
    applicationCredentialId: Type.Optional(Type.String({ minLength: 1 })),
    applicationCredentialName: Type.Optional(Type.String({ minLength: 1 })),
    applicationCredentialSecret: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** Base URLs that replace the catalog's, by service type (clouds.yaml's `<type>_endpoint_override`). */
export const OpenStackEndpoints = Type.Object(
  {
    compute: Type.Optional(Type.String({ minLength: 1 })),
    image: Type.Optional(Type.String({ minLength: 1 })),
    network: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/**
 * One OpenStack cloud: a project on one region of a Keystone v3 cloud. Credentials come from
 * the clouds.yaml entry `osCloud` (or OS_CLOUD), found where the openstack CLI looks, and/or
 * from `auth` inline.
 */
export const OpenStackConfig = Type.Object(
  {
    driver: Type.Literal('openstack'),
    name: Type.String({ minLength: 1, description: 'the cloud name pools refer to' }),
    region: Type.String({ minLength: 1, description: "Hearth's region name for this cloud" }),
    osCloud: Type.Optional(Type.String({ minLength: 1, description: 'the entry of clouds.yaml to use; OS_CLOUD when absent' })),
    cloudsFile: Type.Optional(
      Type.String({ minLength: 1, description: 'a clouds.yaml to read instead of searching the openstack CLI path' }),
    ),
    auth: Type.Optional(OpenStackAuth),
    regionName: Type.Optional(
      Type.String({ minLength: 1, description: "the OpenStack region in the catalog; clouds.yaml's region_name when absent" }),
    ),
    interface: Type.Optional(
      Type.Union([Type.Literal('public'), Type.Literal('internal'), Type.Literal('admin')], {
        description: 'which catalog endpoints to use; public when neither this nor clouds.yaml says',
      }),
    ),
    endpoints: Type.Optional(OpenStackEndpoints),
    network: Type.Optional(
      Type.String({ minLength: 1, description: 'Neutron network (name or id) machines attach to, unless the launch names one' }),
    ),
    securityGroups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "security group names in the project" })),
    keyName: Type.Optional(Type.String({ minLength: 1, description: 'a Nova key pair added to every machine' })),
    availabilityZone: Type.Optional(Type.String({ minLength: 1 })),
    computeMicroversion: Type.Optional(
      Type.String({ pattern: '^2\\.\\d+$', description: `compute API microversion, at least ${minimumComputeMicroversion}` }),
    ),
    requestTimeoutMs: Type.Optional(Duration({ exclusiveMinimum: 0, description: 'longest wait for one API request; 30s when absent' })),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10, description: 'retries of a call a retry can help (reads, deletes, throttling); 3' }),
    ),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'servers per list page; 1000' })),
  },
  { additionalProperties: false },
);

/** An openstack cloud's configuration section, as loadConfig returns it (or a plain literal in tests). */
export type OpenStackConfig = Frozen<Static<typeof OpenStackConfig>>;

/** Inline credentials of the config. */
export type OpenStackAuthConfig = Static<typeof OpenStackAuth>;

/** Which of the catalog's endpoints of a service to use. */
export type EndpointInterface = 'public' | 'internal' | 'admin';

/** The service types the driver calls. */
export type ServiceType = 'compute' | 'image' | 'network';

/** Compares two `2.N` microversions: negative when a < b. */
export function compareMicroversions(a: string, b: string): number {
  return Number(a.split('.')[1] ?? 0) - Number(b.split('.')[1] ?? 0);
}
