import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { environment } from '@hearth/config';
import { repoRoot } from '../stack/paths.js';
import { ensureNatsServer, MissingRequirementError } from '../system/requirements.js';
import { ui } from '../ui/terminal.js';

/**
 * `hearth test [vitest args…]`: installs what the tests need (nats-server ≥ 2.10.23), then
 * runs the whole vitest suite (unit and integration) and exits with its code.
 */
export async function test(args: string[], opts: { install?: boolean }): Promise<number> {
  let natsPath: string;
  try {
    natsPath = (await ensureNatsServer('nats-server', { install: opts.install !== false, allowUnsafe: false, say: ui.step })).path;
  } catch (err) {
    if (err instanceof MissingRequirementError) {
      ui.error(err.message);
      return 1;
    }
    throw err;
  }
  const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
  ui.step(`running the test suite (nats-server: ${natsPath})`);
  const child = spawn(process.execPath, [vitest, 'run', ...args], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...environment(), HEARTH_NATS_SERVER: natsPath },
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
