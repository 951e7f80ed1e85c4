import Type, { type Static } from 'typebox';

/**
 * KV `leases`: who does a job only one replica may do at a time. The holder rewrites it
 * every fraction of `ttlMs`; a candidate that has seen the same revision for `ttlMs` of its
 * own clock takes it over by compare-and-set on that revision.
 */
export const LeaseRecord = Type.Object(
  {
    holder: Type.String({ minLength: 1, description: 'the holding process: service instance id' }),
    host: Type.String({ description: 'host name of the holder' }),
    pid: Type.Integer({ minimum: 1 }),
    /** Boot id and pid namespace of the holder, so a replica on the same host and namespace can tell its pid is gone. */
    process: Type.String({ description: 'boot id and pid namespace of the holder, or empty where unknown' }),
    ttlMs: Type.Integer({ minimum: 100, description: 'how long a silent lease stays the holder’s' }),
    acquiredAt: Type.Integer({ description: 'ms since the epoch, informational' }),
    renewedAt: Type.Integer({ description: 'ms since the epoch, informational: candidates judge by revision, not by this clock' }),
  },
  { additionalProperties: false },
);
export type LeaseRecord = Static<typeof LeaseRecord>;
