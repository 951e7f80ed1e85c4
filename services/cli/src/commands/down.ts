import { rmSync } from 'node:fs';
import { runningSupervisor } from '../stack/lock.js';
import { isOurs, terminate } from '../stack/process-info.js';
import { stackContext, type StackOptions } from '../stack/context.js';
import { serviceCatalogue } from '../stack/services.js';
import { readState } from '../stack/state.js';
import { run } from '../system/run.js';
import { which } from '../system/which.js';
import { ui } from '../ui/terminal.js';

/**
 * `hearth down`: asks the supervisor to stop everything and waits until it has; then stops
 * any process the state file still names whose command line proves it is ours (left over
 * after a supervisor was killed), by pid.
 */
export async function down(opts: StackOptions & { deleteMachines?: boolean }): Promise<number> {
  const { paths, config } = stackContext(opts);
  const state = readState(paths.stateFile);
  const pid = runningSupervisor(paths.pidFile);
  let stoppedSomething = false;
  if (pid !== undefined) {
    ui.step(`stopping Hearth (supervisor pid ${pid})`);
    await terminate(pid, 45_000);
    stoppedSomething = true;
  }
  const leftovers: { pid: number | undefined; marker: string; name: string }[] = [
    ...(state?.services ?? []).map((s) => ({
      pid: s.pid,
      name: s.name,
      marker: serviceCatalogue.find((c) => c.name === s.name)?.entry ?? `${s.name}/dist/main.js`,
    })),
    { pid: state?.nats.process.pid, marker: paths.natsConfig, name: 'nats-server' },
  ];
  for (const left of leftovers) {
    if (isOurs(left.pid, left.marker)) {
      ui.step(`stopping leftover ${left.name} (pid ${left.pid})`);
      await terminate(left.pid);
      stoppedSomething = true;
    }
  }
  rmSync(paths.stateFile, { force: true });
  rmSync(paths.pidFile, { force: true });
  ui.say(stoppedSomething ? 'Hearth stopped.' : 'Hearth is not running.');
  await localMachines(config.installation, opts.deleteMachines === true);
  return 0;
}

/**
 * Machines on the local Docker cloud outlive the stack, as machines on any cloud outlive
 * its control plane: the next `up` finds them again. Says how many there are, or deletes
 * them (containers, their tag volumes and the installation's networks) when asked.
 */
async function localMachines(installation: string, remove: boolean): Promise<void> {
  if (!which('docker')) return;
  const label = `label=hearth:installation=${installation}`;
  const ids = (await run('docker', ['ps', '-aq', '--filter', label], { timeoutMs: 15_000 })).stdout.split('\n').filter(Boolean);
  if (!remove) {
    if (ids.length > 0) ui.say(`${ids.length} machine(s) keep running on the local Docker cloud; ./hearth up picks them up again, ./hearth down --delete-machines deletes them.`);
    return;
  }
  if (ids.length > 0) await run('docker', ['rm', '-f', '-v', ...ids], { timeoutMs: 60_000 });
  const volumes = (await run('docker', ['volume', 'ls', '-q', '--filter', label])).stdout.split('\n').filter(Boolean);
  if (volumes.length > 0) await run('docker', ['volume', 'rm', '-f', ...volumes]);
  const networks = (await run('docker', ['network', 'ls', '-q', '--filter', label])).stdout.split('\n').filter(Boolean);
  if (networks.length > 0) await run('docker', ['network', 'rm', ...networks]);
  ui.say(`Deleted ${ids.length} machine(s) of installation ${installation} from the local Docker cloud.`);
}
