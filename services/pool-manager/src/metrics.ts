import { Counter, Gauge, Histogram, type Registry } from '@hearth/log';

/** The pool manager's Prometheus series. */
export class PoolMetrics {
  readonly machines: Gauge;
  readonly queued: Gauge;
  readonly allocations: Counter;
  readonly waitSeconds: Histogram;
  readonly bootSeconds: Histogram;
  readonly launches: Counter;
  readonly reconcileSeconds: Histogram;
  readonly cloudHealth: Gauge;
  readonly cloudDrained: Gauge;
  readonly cloudQuotaFull: Gauge;
  readonly cloudApiSeconds: Histogram;
  readonly cloudApiErrors: Counter;
  readonly leader: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.leader = new Gauge({ name: 'hearth_pool_manager_leader', help: '1 while this replica holds the pool-manager lease (serves and reconciles), 0 on a standby', registers });
    this.machines = new Gauge({ name: 'hearth_pool_machines', help: 'machines by pool and state', labelNames: ['type', 'cloud', 'state'], registers });
    this.queued = new Gauge({ name: 'hearth_pool_queued_requests', help: 'requests waiting for a machine', labelNames: ['type'], registers });
    this.allocations = new Counter({ name: 'hearth_allocations_total', help: 'machines handed out', labelNames: ['type', 'cloud', 'warm'], registers });
    this.waitSeconds = new Histogram({
      name: 'hearth_allocation_wait_seconds',
      help: 'request to answer',
      labelNames: ['type', 'warm'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.bootSeconds = new Histogram({
      name: 'hearth_machine_boot_seconds',
      help: 'launch to ready',
      labelNames: ['type', 'cloud'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.launches = new Counter({ name: 'hearth_launches_total', help: 'launch attempts by outcome', labelNames: ['cloud', 'outcome'], registers });
    this.reconcileSeconds = new Histogram({
      name: 'hearth_reconcile_seconds',
      help: 'one reconciler pass',
      labelNames: ['reconciler'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1, 5],
      registers,
    });
    this.cloudHealth = new Gauge({ name: 'hearth_cloud_health', help: 'cloud health: 2 healthy, 1 degraded, 0 down', labelNames: ['cloud'], registers });
    this.cloudDrained = new Gauge({ name: 'hearth_cloud_drained', help: '1 while a cloud is drained', labelNames: ['cloud'], registers });
    this.cloudQuotaFull = new Gauge({ name: 'hearth_cloud_quota_full', help: '1 while a cloud has no quota left for a type', labelNames: ['cloud', 'type'], registers });
    this.cloudApiSeconds = new Histogram({
      name: 'hearth_cloud_api_seconds',
      help: 'driver API call duration, rate-limit wait excluded',
      labelNames: ['cloud', 'call'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.cloudApiErrors = new Counter({ name: 'hearth_cloud_api_errors_total', help: 'driver API calls that failed (unavailable, auth, unexpected)', labelNames: ['cloud', 'call'], registers });
  }

  /** Clears the gauges only the leader keeps (pools, queues, clouds), when it stands down. */
  resetLeaderGauges(): void {
    for (const gauge of [this.machines, this.queued, this.cloudHealth, this.cloudDrained, this.cloudQuotaFull]) gauge.reset();
  }
}
