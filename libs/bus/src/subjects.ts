/**
 * Every NATS subject Hearth uses, and the only place their strings exist.
 * Requests are `hearth.<domain>.<verb>`, events `hearth.<domain>.events.<past-tense>`,
 * usage records `hearth.usage.<event>`.
 */
export const subjects = {
  health: {
    /** Broadcast: every instance of every service answers with its HealthReport. */
    check: 'hearth.health.check',
  },
  usage: {
    all: 'hearth.usage.>',
    prefix: 'hearth.usage',
  },
  machines: {
    allocate: 'hearth.machines.allocate',
    release: 'hearth.machines.release',
    cancel: 'hearth.machines.cancel',
    list: 'hearth.machines.list',
    /** Machine types with live warm counts per cloud. */
    types: 'hearth.machines.types',
    events: 'hearth.machines.events.>',
    eventPrefix: 'hearth.machines.events',
  },
  pools: {
    list: 'hearth.pools.list',
    resize: 'hearth.pools.resize',
    events: 'hearth.pools.events.>',
  },
  clouds: {
    list: 'hearth.clouds.list',
    drain: 'hearth.clouds.drain',
    undrain: 'hearth.clouds.undrain',
    events: 'hearth.clouds.events.>',
    eventPrefix: 'hearth.clouds.events',
  },
  transfers: {
    events: 'hearth.transfers.events.>',
  },
  regions: {
    events: 'hearth.regions.events.>',
  },
} as const;

/** The NATS service ("micro", ADR-32) discovery subjects; answered by every instance. */
export const serviceApi = {
  ping: '$SRV.PING',
  info: '$SRV.INFO',
  stats: '$SRV.STATS',
} as const;

/** Queue group every request endpoint joins, so replicas share the load. */
export const defaultQueueGroup = 'q';
