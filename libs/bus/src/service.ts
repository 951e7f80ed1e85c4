import { hostname } from 'node:os';
import { nuid, type Msg, type Subscription } from '@nats-io/transport-node';
import type { Logger } from '@hearth/log';
import type { Bus } from './connect.js';
import { serve } from './endpoint.js';
import type { HealthCheck, HealthCheckRequest, HealthReport } from './schemas/health.js';
import { serviceApi, subjects } from './subjects.js';

/** A named check that says whether one thing the service depends on is working. */
export type HealthProbe = () => Promise<Omit<HealthCheck, 'name'>> | Omit<HealthCheck, 'name'>;

export interface ServiceOptions {
  /** The package's service name (`gateway`, `pool-manager`). */
  name: string;
  /** Semantic version, from the package's package.json. */
  version: string;
  description?: string;
  metadata?: Record<string, string>;
}

/** Per-endpoint counters, reported by `$SRV.STATS` in the NATS micro format. */
export interface EndpointStats {
  name: string;
  subject: string;
  queueGroup: string;
  numRequests: number;
  numErrors: number;
  lastError: string;
  processingTimeNs: bigint;
}

/** How a group of endpoints is withdrawn (Service.group). */
export interface WithdrawOptions {
  /** Called once the server sends the endpoints nothing more: ends what waits for something only this instance would give. */
  unsubscribed?: () => void;
  /** How long to wait for the requests being answered; unbounded when absent. */
  waitMs?: number;
}

/**
 * One running instance of a Hearth service on the bus: discoverable by the NATS service
 * protocol (ADR-32: `$SRV.PING|INFO|STATS[.name[.id]]`, so `nats micro ls` works), answering
 * `hearth.health.check`, and owning the subscriptions of its endpoints.
 */
export class Service {
  readonly id = nuid.next();
  readonly startedAt = new Date();
  readonly log: Logger;
  readonly endpoints: EndpointStats[] = [];
  /** Addresses this instance serves (`portal`, `metrics`), reported in its health. */
  readonly urls: Record<string, string> = {};
  private readonly probes = new Map<string, HealthProbe>();
  private readonly subs: Subscription[] = [];
  private readonly running = new Map<Subscription, ReadonlySet<Promise<void>>>();

  constructor(
    readonly bus: Bus,
    readonly options: ServiceOptions,
  ) {
    this.log = bus.log.child({ serviceId: this.id });
  }

  get name(): string {
    return this.options.name;
  }

  /** Adds a health probe; the service is healthy while every probe says ok. */
  addHealthCheck(name: string, probe: HealthProbe): void {
    this.probes.set(name, probe);
  }

  /** Keeps a subscription so stop() can drain it, and the requests it is handling (`running`) so stop() can wait for them. */
  track(sub: Subscription, stats?: EndpointStats, running?: ReadonlySet<Promise<void>>): void {
    this.subs.push(sub);
    if (stats) this.endpoints.push(stats);
    if (running) this.running.set(sub, running);
  }

  /**
   * Unsubscribes `subs` (once this resolves, the server sends them nothing more), calls
   * `unsubscribed`, then waits for the requests they were handling to be answered.
   */
  private async finish(subs: readonly Subscription[], opts: WithdrawOptions = {}): Promise<void> {
    try {
      await Promise.all(subs.map((s) => (s.isClosed() ? Promise.resolve() : s.drain().catch(() => undefined))));
      try {
        opts.unsubscribed?.();
      } catch (err) {
        this.log.warn({ err }, 'ending what waited on withdrawn endpoints failed');
      }
      const running = Promise.allSettled(subs.flatMap((s) => [...(this.running.get(s) ?? [])]));
      if (opts.waitMs === undefined) {
        await running;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), opts.waitMs)));
      if ((await Promise.race([running, late])) === 'late') this.log.warn({ waitMs: opts.waitMs }, 'requests still being answered after the wait; going on without them');
      clearTimeout(timer);
    } finally {
      for (const s of subs) this.running.delete(s);
    }
  }

  /**
   * Runs `add` (which serves endpoints, synchronously) and returns a function that withdraws
   * exactly what it added: it unsubscribes them, so other instances get the next requests,
   * calls `opts.unsubscribed` (e.g. to end requests that wait for something only this
   * instance would give them), and resolves once the requests they were handling are
   * answered, or after `opts.waitMs`. For endpoints a replica serves only while it holds a lease.
   */
  group(add: () => void): (opts?: WithdrawOptions) => Promise<void> {
    const subsBefore = new Set(this.subs);
    const endpointsBefore = new Set(this.endpoints);
    add();
    const subs = this.subs.filter((s) => !subsBefore.has(s));
    const endpoints = this.endpoints.filter((e) => !endpointsBefore.has(e));
    return async (opts) => {
      const withdrawn = new Set<unknown>([...subs, ...endpoints]);
      const keep = <T>(list: T[]): void => {
        list.splice(0, list.length, ...list.filter((x) => !withdrawn.has(x)));
      };
      keep(this.subs);
      keep(this.endpoints);
      await this.finish(subs, opts);
    };
  }

  /** Runs every probe (each bounded to 2 s) and reports. A throwing probe is a failed check. */
  async health(): Promise<HealthReport> {
    const checks: HealthCheck[] = [{ name: 'nats', ok: this.bus.isConnected() }];
    for (const [name, probe] of this.probes) {
      try {
        checks.push({ name, ...(await withTimeout(Promise.resolve(probe()), 2_000, `health check ${name}`)) });
      } catch (err) {
        checks.push({ name, ok: false, detail: err instanceof Error ? err.message : String(err) });
      }
    }
    return {
      name: this.name,
      id: this.id,
      version: this.options.version,
      healthy: checks.every((c) => c.ok),
      startedAt: this.startedAt.toISOString(),
      uptimeMs: Math.round(Date.now() - this.startedAt.getTime()),
      pid: process.pid,
      host: hostname(),
      checks,
      ...(Object.keys(this.urls).length > 0 ? { urls: { ...this.urls } } : {}),
    };
  }

  /**
   * Resolves once the server has every subscription made so far, so a caller that hears
   * this service is up never meets "no responders". Call after adding endpoints.
   */
  async ready(): Promise<void> {
    await this.bus.nc.flush();
  }

  /** Unsubscribes after in-flight requests finish. Idempotent. */
  async stop(): Promise<void> {
    await this.finish(this.subs.splice(0));
  }

  /** The ADR-32 info document. */
  info(): Record<string, unknown> {
    return {
      ...this.identity('io.nats.micro.v1.info_response'),
      description: this.options.description ?? '',
      endpoints: this.endpoints.map((e) => ({ name: e.name, subject: e.subject, queue_group: e.queueGroup })),
    };
  }

  /** The ADR-32 stats document (times in nanoseconds). */
  stats(): Record<string, unknown> {
    return {
      ...this.identity('io.nats.micro.v1.stats_response'),
      started: this.startedAt.toISOString(),
      endpoints: this.endpoints.map((e) => ({
        name: e.name,
        subject: e.subject,
        queue_group: e.queueGroup,
        num_requests: e.numRequests,
        num_errors: e.numErrors,
        last_error: e.lastError,
        processing_time: Number(e.processingTimeNs),
        average_processing_time: e.numRequests === 0 ? 0 : Number(e.processingTimeNs / BigInt(e.numRequests)),
      })),
    };
  }

  identity(type: string): Record<string, unknown> {
    return {
      type,
      name: this.name,
      id: this.id,
      version: this.options.version,
      metadata: this.options.metadata ?? {},
    };
  }
}

/**
 * Registers a service instance on the bus: discovery subjects and the health endpoint.
 * Add request endpoints with `serve(service, subject, handler)`.
 */
export async function createService(bus: Bus, options: ServiceOptions): Promise<Service> {
  const service = new Service(bus, options);
  const discovery: [string, () => Record<string, unknown>][] = [
    [serviceApi.ping, () => service.identity('io.nats.micro.v1.ping_response')],
    [serviceApi.info, () => service.info()],
    [serviceApi.stats, () => service.stats()],
  ];
  for (const [verb, render] of discovery) {
    for (const subject of [verb, `${verb}.${service.name}`, `${verb}.${service.name}.${service.id}`]) {
      const sub = bus.nc.subscribe(subject, {
        callback: (err, msg: Msg) => {
          if (!err) msg.respond(JSON.stringify(render()));
        },
      });
      service.track(sub);
    }
  }
  serve(service, subjects.health.check, () => service.health(), {
    // every instance answers, so no queue group; a request naming another service is ignored
    queueGroup: null,
    accepts: (req: HealthCheckRequest) => req.service === undefined || req.service === service.name,
    endpointName: 'health',
  });
  await bus.nc.flush();
  service.log.info({ service: service.name, version: options.version }, 'service registered');
  return service;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
