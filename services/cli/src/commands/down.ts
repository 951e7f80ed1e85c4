import { rmSync } from 'node:fs';
import { runningSupervisor } from '../stack/lock.js';
import { isOurs, terminate } from '../stack/process-info.js';
import { stackContext, type StackOptions } from '../stack/context.js';
import { serviceCatalogue } from '../stack/services.js';
import { readState } from '../stack/state.js';
import { ui } from '../ui/terminal.js';

/**
 * `hearth down`: asks the supervisor to stop everything and waits until it has; then stops
 * any process the state file still names whose command line proves it is ours (left over
 * after a supervisor was killed), by pid.
 */
export async function down(opts: StackOptions): Promise<number> {
  const { paths } = stackContext(opts);
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
  return 0;
}
