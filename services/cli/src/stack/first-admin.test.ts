import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstAdminFile, firstAdminNotice, prepareFirstAdmin } from './first-admin.js';
import { stackPaths } from './paths.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function paths(): ReturnType<typeof stackPaths> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-first-admin-'));
  dirs.push(dir);
  const p = stackPaths(dir);
  mkdirSync(p.runDir, { recursive: true });
  return p;
}

describe('the first admin at hearth up', () => {
  it('generates a strong password when none is set, and prints it once the gateway made the admin', () => {
    const p = paths();
    const env: NodeJS.ProcessEnv = {};
    const generated = prepareFirstAdmin(p, env);
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(env['HEARTH_ADMIN_PASSWORD']).toBe(generated);
    // the gateway notes that it created the admin
    writeFileSync(firstAdminFile(p), '{"user":"admin"}\n');
    expect(firstAdminNotice(p, generated)).toMatch(new RegExp(`^first admin: admin / ${generated} — shown once`));
    expect(firstAdminNotice(p, generated)).toBeUndefined();
  });

  it('prints nothing when an admin existed already, even after an interrupted earlier start', () => {
    const p = paths();
    writeFileSync(firstAdminFile(p), '{"user":"admin"}\n');
    const generated = prepareFirstAdmin(p, {});
    expect(firstAdminNotice(p, generated)).toBeUndefined();
  });

  it('keeps an operator\'s HEARTH_ADMIN_PASSWORD and never prints it', () => {
    const p = paths();
    const env: NodeJS.ProcessEnv = { HEARTH_ADMIN_PASSWORD: 'chosen by the operator' };
    expect(prepareFirstAdmin(p, env)).toBeUndefined();
    expect(env['HEARTH_ADMIN_PASSWORD']).toBe('chosen by the operator');
    writeFileSync(firstAdminFile(p), '{"user":"admin"}\n');
    expect(firstAdminNotice(p, undefined)).toBe('first admin: admin, with the password from HEARTH_ADMIN_PASSWORD');
  });
});
