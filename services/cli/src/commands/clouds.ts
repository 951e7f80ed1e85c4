import type { Command } from 'commander';
import type { ApiClient } from '../api/client.js';
import { apiCommand, output, withApi, type ApiOptions, type Exit } from '../api/session.js';
import type { CloudStatus } from '../api/types.js';
import { table } from '../ui/table.js';
import { style, ui } from '../ui/terminal.js';

/** `hearth clouds list`: each cloud's health and why, drain state, and use against quota. */
export async function listClouds(client: ApiClient, opts: ApiOptions): Promise<void> {
  const clouds = await client.clouds();
  output(opts, { clouds }, () => ui.say(clouds.length === 0 ? 'No clouds.' : cloudsTable(clouds)));
}

export function cloudsTable(clouds: readonly CloudStatus[]): string {
  const health = (c: CloudStatus): string =>
    c.health === 'healthy' ? style.good(c.health) : c.health === 'degraded' ? style.warn(c.health) : style.bad(c.health);
  return table(clouds, [
    { heading: 'CLOUD', cell: (c) => c.name },
    { heading: 'DRIVER', cell: (c) => c.driver },
    { heading: 'REGION', cell: (c) => c.region },
    { heading: 'HEALTH', cell: health },
    { heading: 'DRAINED', cell: (c) => (c.drained ? `yes${c.drainedBy ? ` (${c.drainedBy})` : ''}` : 'no') },
    { heading: 'INSTANCES', cell: (c) => (c.quota ? `${c.quota.used.instances}/${limit(c.quota.limits.instances)}` : undefined), right: true },
    { heading: 'API ERRORS', cell: (c) => `${c.stats.apiErrors}/${c.stats.apiCalls}`, right: true },
    { heading: 'WHY', cell: (c) => c.reason },
  ]);
}

/** A quota limit; null (or Infinity) is a cloud that sets none. */
function limit(n: number | null): string {
  return n !== null && Number.isFinite(n) ? String(n) : '∞';
}

/** `hearth clouds drain|undrain C`. */
export async function setDrained(client: ApiClient, cloud: string, drained: boolean, opts: ApiOptions): Promise<void> {
  const status = await client.drain(cloud, drained);
  output(opts, status, () =>
    ui.say(
      status.drained
        ? `Cloud ${cloud} drained: no new launches there; allocated machines stay, warm ones are replaced on other clouds.`
        : `Cloud ${cloud} undrained: its pools launch there again.`,
    ),
  );
}

export function registerClouds(program: Command, exit: Exit): void {
  const clouds = program.command('clouds').description('admins: cloud health, and draining a cloud for maintenance');
  apiCommand(clouds.command('list'), 'print {"clouds":[…]} as JSON')
    .description('list the clouds with health (and why), drain state and quota use')
    .action(async (opts: ApiOptions) => exit(await withApi(opts, (c) => listClouds(c, opts))));
  apiCommand(clouds.command('drain'), 'print the cloud status as JSON')
    .description('stop launching on a cloud: allocated machines stay, warm ones move to other clouds')
    .argument('<cloud>', 'cloud name, as in `hearth clouds list`')
    .action(async (cloud: string, opts: ApiOptions) => exit(await withApi(opts, (c) => setDrained(c, cloud, true, opts))));
  apiCommand(clouds.command('undrain'), 'print the cloud status as JSON')
    .description('let pools launch on a drained cloud again')
    .argument('<cloud>', 'cloud name')
    .action(async (cloud: string, opts: ApiOptions) => exit(await withApi(opts, (c) => setDrained(c, cloud, false, opts))));
}
