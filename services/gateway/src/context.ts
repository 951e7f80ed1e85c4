import type { Bus } from '@hearth/bus';
import type { AccountStore } from './accounts/account-store.js';
import type { RequestTable } from './machines/request-table.js';
import type { LimitCheck } from './plugins/rate-limits.js';

/** What the API's route plugins share. */
export interface ApiContext {
  bus: Bus;
  store: AccountStore;
  requests: RequestTable;
  /** A portal login lasts this long. */
  sessionMaxAgeMs: number;
  /** Cookies get `Secure` when the gateway speaks TLS. */
  tls: boolean;
  /**
   * Counts one password check against `key` (an account or an address); resolves with the
   * seconds to wait when over the login limit.
   */
  loginLimit: LimitCheck;
}
