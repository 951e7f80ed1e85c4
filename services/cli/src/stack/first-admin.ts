import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StackPaths } from './paths.js';

/** The environment variable the gateway reads the first admin's password from. */
export const adminPasswordEnv = 'HEARTH_ADMIN_PASSWORD';

/**
 * The file the gateway writes when it has just created the first admin (`admin`); it holds
 * no secret. Kept in step with the gateway's firstAdminMarker().
 */
export function firstAdminFile(paths: StackPaths): string {
  return join(paths.runDir, 'first-admin.json');
}

/**
 * Before the stack starts: forgets an earlier start's note, and when HEARTH_ADMIN_PASSWORD
 * is not set, generates a strong password and sets it for the services started from here
 * (children inherit the environment). The gateway uses it only if no admin exists yet.
 * @returns the generated password, or undefined when the operator set one
 */
export function prepareFirstAdmin(paths: StackPaths, env: NodeJS.ProcessEnv = process.env): string | undefined {
  rmSync(firstAdminFile(paths), { force: true });
  if (env[adminPasswordEnv]) return undefined;
  const password = randomBytes(18).toString('base64url');
  env[adminPasswordEnv] = password;
  return password;
}

/**
 * After the stack is up: the line to print when the gateway created the first admin during
 * this start (once: the note is removed), else undefined.
 */
export function firstAdminNotice(paths: StackPaths, generated: string | undefined): string | undefined {
  const file = firstAdminFile(paths);
  if (!existsSync(file)) return undefined;
  rmSync(file, { force: true });
  return generated
    ? `first admin: admin / ${generated} — shown once; sign in and keep it safe (or set ${adminPasswordEnv} next time)`
    : `first admin: admin, with the password from ${adminPasswordEnv}`;
}
