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

  constructor(registry: Registry) {
    const registers = [registry];
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
  }
}
