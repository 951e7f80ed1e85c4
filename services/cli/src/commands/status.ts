import { checkHealth, connectBus, type HealthReport } from '@hearth/bus';
import { createLogger } from '@hearth/log';
import { isOurs } from '../stack/process-info.js';
import { runningSupervisor } from '../stack/lock.js';
import { stackContext, type StackOptions } from '../stack/context.js';
import { readState, type ChildStatus, type StackState } from '../stack/state.js';
import { style, ui } from '../ui/terminal.js';

/** The `status --json` document. */
export interface StatusReport {
  running: boolean;
  supervisorPid?: number;
  dataDir: string;
  nats: { url: string; version?: string; pid?: number; healthy: boolean; restarts: number; monitorUrl?: string };
  services: { name: string; healthy: boolean; pid?: number; restarts: number; state: string; version?: string; uptimeMs?: number; failing?: string[] }[];
  portal?: string;
  warnings: string[];
}

/** Reads the supervisor's state and asks every service over NATS how it is. */
export async function collectStatus(opts: StackOptions): Promise<StatusReport> {
  const { paths, config } = stackContext(opts);
  const pid = runningSupervisor(paths.pidFile);
  const state = pid === undefined ? undefined : readState(paths.stateFile);
  if (pid === undefined || !state) {
    return { running: false, dataDir: paths.dataDir, nats: { url: '', healthy: false, restarts: 0 }, services: [], warnings: [] };
  }
  const health = await askHealth(state, config.log.level);
  const natsUp = health !== undefined && (state.nats.external || isOurs(state.nats.process.pid, paths.natsConfig));
  return {
    running: true,
    supervisorPid: pid,
    dataDir: paths.dataDir,
    nats: {
      url: state.nats.url,
      version: state.nats.version,
      ...(state.nats.process.pid ? { pid: state.nats.process.pid } : {}),
      healthy: natsUp,
      restarts: state.nats.process.restarts,
      ...(state.nats.monitorUrl ? { monitorUrl: state.nats.monitorUrl } : {}),
    },
    services: state.services.map((s) => serviceLine(s, health)),
    ...(state.portal ? { portal: state.portal } : {}),
    warnings: state.warnings,
  };
}

/** One supervised service as its process and its health report tell it; `failing` names the checks that fail, and why. */
export function serviceLine(s: ChildStatus, health: readonly HealthReport[] | undefined): StatusReport['services'][number] {
  const report = health?.find((h) => h.name === s.name && h.pid === s.pid);
  const failing = report?.checks.filter((c) => !c.ok).map((c) => (c.detail ? `${c.name}: ${c.detail}` : c.name)) ?? [];
  // without NATS nobody answers; the nats-server line says so
  if (health && s.state === 'running' && !report) failing.push('no answer to the health check over NATS');
  return {
    name: s.name,
    healthy: s.state === 'running' && report?.healthy === true,
    ...(s.pid ? { pid: s.pid } : {}),
    restarts: s.restarts,
    state: s.state,
    ...(report ? { version: report.version, uptimeMs: report.uptimeMs } : {}),
    ...(failing.length > 0 ? { failing } : {}),
  };
}

/** Health of every service, or undefined when NATS cannot be reached. */
async function askHealth(state: StackState, level: string): Promise<HealthReport[] | undefined> {
  const log = createLogger({ service: 'cli', level: level === 'debug' || level === 'trace' ? 'debug' : 'silent' });
  try {
    const bus = await connectBus({ servers: state.nats.url, name: 'hearth-status', log, waitOnFirstConnect: false });
    try {
      return await checkHealth(bus, { maxWaitMs: 1_500 });
    } finally {
      await bus.close();
    }
  } catch {
    return undefined;
  }
}

/** `hearth status`: exit 0 when everything is healthy, 1 when something is not, 3 when not running. */
export async function status(opts: StackOptions & { json?: boolean }): Promise<number> {
  const report = await collectStatus(opts);
  const healthy = report.running && report.nats.healthy && report.services.every((s) => s.healthy);
  if (opts.json) {
    ui.say(JSON.stringify(report, null, 2));
  } else if (!report.running) {
    ui.say(`Hearth is not running (data directory ${report.dataDir}). Start it with ./hearth up`);
  } else {
    printStack(undefined, report);
  }
  if (!report.running) return 3;
  return healthy ? 0 : 1;
}

/** Prints a stack summary from a live report, or from the supervisor's own state right after start. */
export function printStack(state: StackState | undefined, report: StatusReport | undefined): void {
  const mark = (ok: boolean): string => (ok ? style.good('healthy') : style.bad('unhealthy'));
  if (report) {
    ui.say(`${style.bold('Hearth is running')} ${style.dim(`(supervisor pid ${report.supervisorPid}, data ${report.dataDir})`)}`);
    if (report.portal) ui.say(`  portal       ${style.bold(report.portal)}`);
    const natsWhat = report.nats.version === 'external' ? 'external' : `v${report.nats.version ?? '?'}  pid ${report.nats.pid ?? '-'}  restarts ${report.nats.restarts}`;
    ui.say(`  nats-server  ${mark(report.nats.healthy)}  ${report.nats.url}  ${natsWhat}`);
    for (const s of report.services) {
      ui.say(`  ${s.name.padEnd(12)} ${mark(s.healthy)}  ${s.state}  pid ${s.pid ?? '-'}  restarts ${s.restarts}${s.version ? `  v${s.version}` : ''}`);
      for (const why of s.failing ?? []) ui.say(`  ${' '.repeat(12)} ${style.bad('✗')} ${why}`);
    }
    for (const w of report.warnings) ui.warn(w);
    return;
  }
  if (!state) return;
  ui.say(`${style.good('Hearth is up.')} ${style.dim(`(data ${state.dataDir})`)}`);
  if (state.portal) ui.say(`  portal       ${style.bold(state.portal)}`);
  ui.say(`  nats-server  ${state.nats.url}  ${state.nats.external ? 'external' : `v${state.nats.version}  pid ${state.nats.process.pid ?? '-'}`}`);
  for (const s of state.services) ui.say(`  ${s.name.padEnd(12)} ${s.state}  pid ${s.pid ?? '-'}`);
}
