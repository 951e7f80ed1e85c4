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
  },
  machines: {
    events: 'hearth.machines.events.>',
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
