import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HearthError } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import type { AccountStore } from './account-store.js';

/** The first admin's name. */
export const firstAdminName = 'admin';

/**
 * Where the gateway notes that it just created the first admin: `<dataDir>/run/first-admin.json`.
 * `hearth up` removes it before starting the stack and, when it appears, prints the password it
 * generated, once. The file holds no secret.
 */
export function firstAdminMarker(dataDir: string): string {
  return join(dataDir, 'run', 'first-admin.json');
}

/**
 * Creates user `admin` (role admin) when no enabled admin exists and a password was given
 * (HEARTH_ADMIN_PASSWORD); otherwise does nothing. Safe for several gateways at once: only
 * one create wins.
 * @returns true when this call created the admin
 */
export async function ensureFirstAdmin(store: AccountStore, password: string | undefined, marker: string, log: Logger): Promise<boolean> {
  if (await store.hasAdmin()) return false;
  if (!password) {
    log.warn('no admin account exists; start the gateway with HEARTH_ADMIN_PASSWORD set (./hearth up does) to create one');
    return false;
  }
  try {
    await store.createUser({ name: firstAdminName, password, role: 'admin', bootstrap: true });
  } catch (err) {
    if (err instanceof HearthError && err.code === 'CONFLICT') {
      log.warn({ user: firstAdminName }, 'no enabled admin exists, and user admin exists already (disabled, or a scientist): left as it is');
      return false;
    }
    throw err;
  }
  await mkdir(dirname(marker), { recursive: true });
  await writeFile(marker, `${JSON.stringify({ user: firstAdminName, createdAt: new Date().toISOString() })}\n`, { mode: 0o600 });
  log.info({ user: firstAdminName }, 'first admin created');
  return true;
}
