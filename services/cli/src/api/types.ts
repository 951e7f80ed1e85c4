import type { CloudStatus, Connection, MachineTypeInfo, PoolSettings, PoolStatus } from '@hearth/bus';

/** Shapes of the REST API (docs/api.md) as the CLI reads them. */
export type { CloudStatus, Connection, MachineTypeInfo, PoolSettings, PoolStatus };

/** An RFC 9457 problem document, as every gateway error is. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  issues?: { path: string; message: string }[];
}

/** A machine as `GET /api/v1/machines` and `POST /api/v1/machines` answer it. */
export interface Machine {
  id: string;
  type: string;
  cloud: string;
  region: string;
  state: string;
  user: string;
  allocatedAt?: number | string;
  connect: Connection;
  sshCommand: string;
  warnedAt?: number | string;
  reclaimAt?: number | string;
}

/** A request waiting for a machine (`202` from `POST /api/v1/machines`, `GET /api/v1/requests/:id`). */
export interface MachineRequest {
  id: string;
  type: string;
  state: 'queued' | 'allocated' | 'failed' | 'cancelled';
  position?: number;
  /** While queued: the machine being launched for this request. */
  launching?: string;
  machine?: Machine;
  error?: string;
}

export interface User {
  name: string;
  role: string;
  disabled: boolean;
  createdAt: number | string;
}

export interface Me {
  name: string;
  role: string;
  sshPublicKey?: string;
}

/** A personal API token; `token` is only ever in the answer that created it. */
export interface Token {
  id: string;
  name: string;
  token: string;
  createdAt: number | string;
  /** ms since epoch; the gateway refuses the token after it. */
  expiresAt?: number;
}
