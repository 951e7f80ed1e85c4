import type { Static, TSchema } from 'typebox';
import { CloudStatus, DrainRequest, ListCloudsReply, ListCloudsRequest } from './schemas/clouds.js';
import { Empty } from './schemas/common.js';
import { HealthCheckRequest, HealthReport } from './schemas/health.js';
import {
  AllocateReply,
  AllocateRequest,
  CancelReply,
  CancelRequest,
  ListMachinesReply,
  ListMachinesRequest,
  ListTypesReply,
  ListTypesRequest,
  ReleaseRequest,
} from './schemas/machines.js';
import { ListPoolsReply, ListPoolsRequest, PoolSettings, ResizeRequest } from './schemas/pools.js';
import { subjects } from './subjects.js';

/** The schemas of one request/reply subject. */
export interface EndpointSchemas {
  request: TSchema;
  response: TSchema;
}

/**
 * Request subject → its request and reply schemas. `serve` and `request` look schemas up
 * here, so the two sides of a subject can never disagree about its messages.
 */
export const api = {
  [subjects.health.check]: { request: HealthCheckRequest, response: HealthReport },
  [subjects.machines.allocate]: { request: AllocateRequest, response: AllocateReply },
  [subjects.machines.release]: { request: ReleaseRequest, response: Empty },
  [subjects.machines.cancel]: { request: CancelRequest, response: CancelReply },
  [subjects.machines.list]: { request: ListMachinesRequest, response: ListMachinesReply },
  [subjects.machines.types]: { request: ListTypesRequest, response: ListTypesReply },
  [subjects.clouds.list]: { request: ListCloudsRequest, response: ListCloudsReply },
  [subjects.clouds.drain]: { request: DrainRequest, response: CloudStatus },
  [subjects.clouds.undrain]: { request: DrainRequest, response: CloudStatus },
  [subjects.pools.list]: { request: ListPoolsRequest, response: ListPoolsReply },
  [subjects.pools.resize]: { request: ResizeRequest, response: PoolSettings },
} as const satisfies Record<string, EndpointSchemas>;

export type ApiSubject = keyof typeof api;
export type RequestOf<S extends ApiSubject> = Static<(typeof api)[S]['request']>;
export type ResponseOf<S extends ApiSubject> = Static<(typeof api)[S]['response']>;
