import type { Bus, RequestRecord, TypedKv } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import type { Cloud } from './clouds.js';
import type { MachineType, PoolManagerConfig } from './config.js';
import type { PoolMetrics } from './metrics.js';
import type { RequestQueue } from './allocate/request-queue.js';
import type { MachineStore } from './store/machine-store.js';
import type { PoolStore } from './store/pool-store.js';
import type { KeyPair } from '@hearth/ssh';

/** Everything the allocator and the reconcilers share. */
export interface Engine {
  config: PoolManagerConfig;
  installation: string;
  bus: Bus;
  log: Logger;
  machines: MachineStore;
  pools: PoolStore;
  clouds: Map<string, Cloud>;
  types: Map<string, MachineType>;
  queue: RequestQueue;
  /** KV `requests`: how a queued request ended is written here (the gateway wrote it queued). */
  requests: TypedKv<typeof RequestRecord>;
  metrics: PoolMetrics;
  key: KeyPair;
  /** Asks the controller for a reconcile pass soon (coalesced). */
  kick(): void;
}
