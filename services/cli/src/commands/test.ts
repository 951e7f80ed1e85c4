import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { environment } from '@hearth/config';
import { repoRoot } from '../stack/paths.js';
import { ensureDocker, ensureNatsServer, ensureProgram, MissingRequirementError } from '../system/requirements.js';
import { ensureOpenStack } from '../system/requirements.js';
import { ui } from '../ui/terminal.js';

/**
 * `hearth test [vitest args…]`: installs what the tests need (nats-server ≥ 2.10.23), lints,
 * then runs the whole vitest suite (unit, integration, end-to-end) and exits with its code.
 */
export async function test(args: string[], opts: { install?: boolean; lint?: boolean }): Promise<number> {
  mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
  let natsPath: string;
  const ensure = { install: opts.install !== false, say: ui.step };
  try {
    natsPath = (await ensureNatsServer('nats-server', { ...ensure, allowUnsafe: false })).path;
    // the Docker cloud's tests run real containers from an image built with debootstrap
    await ensureProgram('debootstrap', 'debootstrap', 'the machine image is built from a debootstrap tree', ensure);
    // the portal's end-to-end test drives Debian's Chromium and logs in with OpenSSH's client
    await ensureProgram('chromium', 'chromium', "the portal's end-to-end test drives it through playwright-core", ensure);
    await ensureProgram('ssh', 'openssh-client', "the portal's end-to-end test runs the ssh command the portal shows", ensure);
    ui.step('checking the Docker engine');
    const dockerProblem = await ensureDocker({ ...ensure, logFile: join(repoRoot, 'test-results', 'dockerd.log') });
    if (dockerProblem) throw new MissingRequirementError('docker', `the tests need a Docker engine: ${dockerProblem}`);
  } catch (err) {
    if (err instanceof MissingRequirementError) {
      ui.error(err.message);
      return 1;
    }
    throw err;
  }
  const env = { ...environment(), HEARTH_NATS_SERVER: natsPath };
  if (opts.lint !== false) {
    ui.step('linting (eslint)');
    const lint = await node(join(repoRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), ['.'], env);
    if (lint !== 0) {
      ui.error('lint failed; see above (skip it with --no-lint while iterating)');
      return lint;
    }
  }
  // the openstack driver's contract runs against a real control plane (../shared/openstack); stopped afterwards only if started here
  const openstack = await ensureOpenStack({
    ...ensure,
    env,
    scriptDir: join(repoRoot, '..', 'shared', 'openstack'),
    logFile: join(repoRoot, 'test-results', 'openstack-up.log'),
  });
  ui.step(`running the test suite (nats-server: ${natsPath})`);
  const results = join(repoRoot, 'test-results', 'vitest.json');
  rmSync(results, { force: true });
  const code = await node(
    join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...args],
    env,
  ).finally(() => openstack.stop());
  const counts = readCounts(results);
  // one plain closing line, whatever the reporter printed above it
  if (counts) ui.say(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  if (code === 0 && counts?.passed === 0) {
    ui.error('no test ran');
    return 1;
  }
  return code;
}

function readCounts(file: string): { passed: number; failed: number; skipped: number } | undefined {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    return {
      passed: report['numPassedTests'] ?? 0,
      failed: report['numFailedTests'] ?? 0,
      skipped: (report['numPendingTests'] ?? 0) + (report['numTodoTests'] ?? 0),
    };
  } catch {
    return undefined;
  }
}

function node(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [script, ...args], { cwd: repoRoot, stdio: 'inherit', env });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
