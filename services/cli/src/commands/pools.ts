import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient, PoolChange } from '../api/client.js';
import { apiCommand, output, withApi, type ApiOptions, type Exit } from '../api/session.js';
import type { PoolStatus } from '../api/types.js';
import { ago, table } from '../ui/table.js';
import { ui } from '../ui/terminal.js';

export interface ResizeOptions extends ApiOptions {
  cloud: string;
  minReady?: number;
  max?: number;
  weight?: number;
}

/** `hearth pools list`: every pool's settings and its machines by state. */
export async function listPools(client: ApiClient, opts: ApiOptions): Promise<void> {
  const pools = await client.pools();
  output(opts, { pools }, () => ui.say(pools.length === 0 ? 'No pools.' : poolsTable(pools)));
}

export function poolsTable(pools: readonly PoolStatus[], now = Date.now()): string {
  return table(pools, [
    { heading: 'TYPE', cell: (p) => p.settings.type },
    { heading: 'CLOUD', cell: (p) => p.settings.cloud },
    { heading: 'MIN READY', cell: (p) => p.settings.minReady, right: true },
    { heading: 'MAX', cell: (p) => p.settings.max, right: true },
    { heading: 'WEIGHT', cell: (p) => p.settings.weight, right: true },
    { heading: 'READY', cell: (p) => p.counts.ready, right: true },
    { heading: 'ALLOCATED', cell: (p) => p.counts.allocated, right: true },
    { heading: 'STARTING', cell: (p) => p.counts.launching + p.counts.booting, right: true },
    { heading: 'FAILED', cell: (p) => p.counts.failed, right: true },
    { heading: 'QUEUED', cell: (p) => p.queued, right: true },
    { heading: 'MODE', cell: (p) => p.settings.mode },
    { heading: 'CHANGED', cell: (p) => `${ago(p.settings.changedAt, now) ?? '-'} by ${p.settings.changedBy}` },
  ]);
}

/** `hearth pools resize TYPE --cloud C`: changes min ready, max and/or weight. */
export async function resizePool(client: ApiClient, type: string, opts: ResizeOptions): Promise<void> {
  const change: PoolChange = {
    ...(opts.minReady !== undefined ? { minReady: opts.minReady } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
    ...(opts.weight !== undefined ? { weight: opts.weight } : {}),
  };
  const settings = await client.resizePool(type, opts.cloud, change);
  output(opts, settings, () =>
    ui.say(`Pool ${settings.type} on ${settings.cloud}: min ready ${settings.minReady}, max ${settings.max}, weight ${settings.weight}.`),
  );
}

/** A commander parser for a whole number ≥ 0; anything else is a usage error (exit 2). */
export function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return Number(value);
}

function weight(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number, 0 or more');
  return n;
}

export function registerPools(program: Command, exit: Exit): void {
  const pools = program.command('pools').description('admins: see and size the warm pools (per machine type and cloud)');
  apiCommand(pools.command('list'), 'print {"pools":[{settings, counts, queued}]} as JSON')
    .description('list every pool: its settings and how many machines are ready, allocated, starting')
    .action(async (opts: ApiOptions) => exit(await withApi(opts, (c) => listPools(c, opts))));
  apiCommand(pools.command('resize'), 'print the new pool settings as JSON')
    .description('change how many machines of TYPE a cloud keeps warm (min ready), at most runs (max), and its share (weight)')
    .argument('<type>', 'machine type')
    .requiredOption('--cloud <cloud>', 'the cloud whose pool to change')
    .option('--min-ready <n>', 'machines kept ready and waiting', count)
    .option('--max <n>', 'most machines of this type on this cloud, ready and allocated together', count)
    .option('--weight <w>', 'share of launches and allocations against other clouds', weight)
    .action(async (type: string, opts: ResizeOptions, cmd: Command) => {
      if (opts.minReady === undefined && opts.max === undefined && opts.weight === undefined) {
        cmd.error('error: say what to change: --min-ready, --max and/or --weight', { exitCode: 2 });
      }
      exit(await withApi(opts, (c) => resizePool(c, type, opts)));
    });
}
