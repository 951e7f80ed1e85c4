import type { Static, TSchema } from 'typebox';
import { HealthCheckRequest, HealthReport } from './schemas/health.js';
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
} as const satisfies Record<string, EndpointSchemas>;

export type ApiSubject = keyof typeof api;
export type RequestOf<S extends ApiSubject> = Static<(typeof api)[S]['request']>;
export type ResponseOf<S extends ApiSubject> = Static<(typeof api)[S]['response']>;
