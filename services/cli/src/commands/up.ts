import { spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { createLogger, fileDestination } from '@hearth/log';
import { claim, release, runningSupervisor } from '../stack/lock.js';
import { checkDataDir, checkPorts, checkServiceConfigs, stackPorts } from '../stack/preflight.js';
import { stackContext, type StackContext, type StackOptions } from '../stack/context.js';
import { readState, type StackState } from '../stack/state.js';
import { StackStartError, Supervisor } from '../stack/supervisor.js';
import { ensureDocker, ensureNatsServer } from '../system/requirements.js';
import { printStack } from './status.js';
import { ui } from '../ui/terminal.js';
import { localDefaults } from '../stack/local-defaults.js';
import { firstAdminNotice, prepareFirstAdmin } from '../stack/first-admin.js';

export interface UpOptions extends StackOptions {
  detach?: boolean;
  install?: boolean;
  docker?: boolean;
  /** Internal: the detached supervisor, preflight already done by its parent. */
  supervise?: boolean;
  readyTimeout?: number;
}

/** `hearth up`: checks, installs what is missing, starts the stack, and waits until all is healthy. */
export async function up(opts: UpOptions): Promise<number> {
  const ctx = stackContext(opts);
  const { paths } = ctx;
  checkDataDir(paths.dataDir);
  const holder = runningSupervisor(paths.pidFile);
  if (holder !== undefined) {
    const state = readState(paths.stateFile);
    ui.say(`Hearth is already running (supervisor pid ${holder}${state?.portal ? `, portal ${state.portal}` : ''}); stop it with ./hearth down`);
    return 0;
  }
  mkdirSync(paths.logDir, { recursive: true });
  mkdirSync(paths.runDir, { recursive: true });
  const install = opts.install !== false && !opts.supervise;
  // with nats.url set, the stack joins that NATS (a cluster, say) and runs no server of its own
  const nats = ctx.config.nats.url
    ? undefined
    : await ensureNatsServer(ctx.config.nats.server.binary, {
        install,
        allowUnsafe: ctx.config.nats.server.allowUnsafeVersion,
        say: ui.step,
      });
  const warnings: string[] = [];
  if (!opts.supervise) {
    let dockerProblem: string | undefined = 'Docker was left out with --no-docker';
    if (opts.docker !== false) {
      ui.step('checking the Docker engine');
      dockerProblem = await ensureDocker({ install, say: ui.step, logFile: paths.logFile('dockerd') });
    }
    const defaults = await localDefaults(ctx.config, dockerProblem, { install, say: ui.step });
    ctx.set.push(...defaults.set);
    warnings.push(...defaults.warnings);
    ui.step('checking configuration');
    await checkServiceConfigs(ctx.configPath, ctx.set);
    await checkPorts(stackPorts(ctx.config));
  }
  // the first admin: a generated password goes to the gateway through the environment, and is printed once
  // (the detached supervisor leaves both to its parent, which tells the person at the terminal)
  const firstAdmin = opts.supervise ? undefined : { generated: prepareFirstAdmin(paths) };
  return opts.detach ? detach(ctx, opts, firstAdmin) : supervise(ctx, nats, warnings, opts.readyTimeout, firstAdmin);
}

/** Runs the supervisor in this process until Ctrl-C, SIGTERM or `hearth down`. */
async function supervise(
  ctx: StackContext,
  nats: { path: string; version: string } | undefined,
  warnings: string[],
  readyTimeoutMs?: number,
  firstAdmin?: FirstAdmin,
): Promise<number> {
  const { paths } = ctx;
  const holder = claim(paths.pidFile);
  if (holder !== undefined) {
    ui.say(`Hearth is already running (supervisor pid ${holder}); stop it with ./hearth down`);
    return 0;
  }
  const log = createLogger({
    service: 'supervisor',
    level: ctx.config.log.level,
    destination: fileDestination(paths.logFile('supervisor')),
  });
  const supervisor = new Supervisor({
    config: ctx.config,
    ...(ctx.configPath ? { configPath: ctx.configPath } : {}),
    set: ctx.set,
    paths,
    nats,
    warnings,
    log,
    ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
  });
  let stopRequested = false;
  let stopped: Promise<void> | undefined;
  const stopOnce = (): Promise<void> => (stopped ??= supervisor.stop());
  const stopSignal = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        stopRequested = true;
        resolve(signal);
      });
    }
  });
  void stopSignal.then(() => stopOnce());
  const progress = ui.progress(() => supervisor.state.step);
  try {
    await supervisor.start();
  } catch (err) {
    progress.done();
    await stopOnce();
    cleanup(ctx);
    if (stopRequested) return 130;
    ui.error(`cannot start Hearth: ${(err as Error).message}`);
    if (err instanceof StackStartError && err.logTail) ui.say(`\nlast lines of its log:\n${err.logTail}`);
    ui.say(`\nlogs: ${paths.logDir}`);
    return 1;
  }
  progress.done();
  printStack(supervisor.state, undefined);
  announceFirstAdmin(ctx, firstAdmin);
  for (const warning of warnings) ui.warn(warning);
  ui.say('\nPress Ctrl-C (or run ./hearth down) to stop.');
  const signal = await stopSignal;
  log.info({ signal }, 'stopping');
  ui.step('stopping Hearth');
  await stopOnce();
  cleanup(ctx);
  ui.say('Hearth stopped.');
  return 0;
}

/** The password `up` generated for the first admin, if it did (undefined in the detached supervisor). */
interface FirstAdmin {
  generated: string | undefined;
}

/** Prints the first admin's credentials when the gateway created that account during this start. */
function announceFirstAdmin(ctx: StackContext, firstAdmin: FirstAdmin | undefined): void {
  if (!firstAdmin) return;
  const notice = firstAdminNotice(ctx.paths, firstAdmin.generated);
  if (notice) ui.say(`\n${notice}`);
}

function cleanup(ctx: StackContext): void {
  rmSync(ctx.paths.stateFile, { force: true });
  release(ctx.paths.pidFile);
}

/** Starts the supervisor in the background and follows its progress until healthy or failed. */
async function detach(ctx: StackContext, opts: UpOptions, firstAdmin: FirstAdmin | undefined): Promise<number> {
  const { paths } = ctx;
  rmSync(paths.stateFile, { force: true });
  const args = [process.argv[1] ?? '', 'up', '--supervise', '--no-install'];
  if (ctx.configPath) args.push('--config', ctx.configPath);
  for (const entry of ctx.set) args.push('--set', entry);
  if (opts.readyTimeout) args.push('--ready-timeout', String(opts.readyTimeout));
  const out = openSync(paths.logFile('supervisor.out'), 'a');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `code ${code}`));
  const progress = ui.progress(() => readState(paths.stateFile)?.step ?? 'starting the supervisor');
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const state: StackState | undefined = readState(paths.stateFile);
    if (state?.phase === 'running' && state.supervisorPid === child.pid) {
      progress.done();
      printStack(state, undefined);
      announceFirstAdmin(ctx, firstAdmin);
      for (const warning of state.warnings) ui.warn(warning);
      ui.say('\nRunning in the background; stop it with ./hearth down.');
      return 0;
    }
    if (exited !== undefined || state?.phase === 'failed') {
      progress.done();
      ui.error(`cannot start Hearth: ${state?.error ?? `the supervisor exited (${exited ?? 'unknown'})`}`);
      ui.say(`logs: ${paths.logDir}`);
      return 1;
    }
  }
}
