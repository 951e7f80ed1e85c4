import type { Command } from 'commander';
import { UsageError } from '../api/api-error.js';
import type { ApiClient } from '../api/client.js';
import { apiCommand, output, urlOption, withApi, type ApiOptions, type Exit } from '../api/session.js';
import type { Machine, MachineRequest, MachineTypeInfo } from '../api/types.js';
import { ago, duration, table } from '../ui/table.js';
import { style, ui } from '../ui/terminal.js';
import { findPublicKey } from './machines-key.js';
import { requireSsh, runSsh, sshMachine, type SshOptions } from './machines-ssh.js';
import { waitForMachine } from './machines-wait.js';

export interface RequestOptions extends ApiOptions, SshOptions {
  sshKey?: string;
  region?: string;
  wait?: boolean;
  /** Log in once the machine is there (implies wait). */
  ssh?: boolean;
}

/** `hearth machines types`: what can be asked for, and how many are warm where. */
export async function listTypes(client: ApiClient, opts: ApiOptions): Promise<void> {
  const types = await client.machineTypes();
  output(opts, { types }, () => ui.say(typesTable(types)));
}

export function typesTable(types: readonly MachineTypeInfo[]): string {
  return table(types, [
    { heading: 'TYPE', cell: (t) => t.name },
    { heading: 'CPUS', cell: (t) => t.cpus, right: true },
    { heading: 'MEMORY', cell: (t) => `${+(t.memoryMb / 1024).toFixed(1)} GiB`, right: true },
    { heading: 'GPUS', cell: (t) => t.gpus, right: true },
    { heading: 'READY', cell: (t) => t.ready, right: true },
    { heading: 'WARM PER CLOUD', cell: (t) => Object.entries(t.warm).map(([cloud, n]) => `${cloud}:${n}`).join(' ') },
    { heading: 'QUEUED', cell: (t) => t.queued, right: true },
    { heading: 'IDLE LIMIT', cell: (t) => duration(t.idleLimitMs) },
    { heading: 'DESCRIPTION', cell: (t) => t.description },
  ]);
}

/**
 * `hearth machines request TYPE`: a warm machine at once, or a queued request; with
 * --wait, follows the queue (position, then launching) until the machine is there.
 */
export async function requestMachine(client: ApiClient, type: string, opts: RequestOptions, command: readonly string[] = []): Promise<number> {
  if (opts.ssh && opts.json) throw new UsageError('--ssh logs you in; it cannot be combined with --json');
  if (command.length > 0 && !opts.ssh) throw new UsageError(`a command (${command.join(' ')}) is run on the machine only with --ssh`);
  if (opts.ssh) requireSsh();
  const sshPublicKey = await findPublicKey(opts.sshKey);
  const outcome = await client.requestMachine({ type, ...(sshPublicKey ? { sshPublicKey } : {}), ...(opts.region ? { region: opts.region } : {}) });
  const ready = (machine: Machine): Promise<number> | number => {
    if (!opts.ssh) {
      printMachine(machine, opts);
      return 0;
    }
    ui.note(`Machine ready: ${machine.id} (${machine.type} on ${machine.cloud}); release it when done: hearth machines release ${machine.id}`);
    return runSsh(machine, machine.user, opts, command);
  };
  if ('machine' in outcome) return ready(outcome.machine);
  if (!opts.wait && !opts.ssh) {
    output(opts, outcome.request, () => printQueued(outcome.request));
    return 0;
  }
  // progress on a terminal; on a pipe with --ssh, stdout is the remote command's alone
  const done = await waitForMachine(client, outcome.request, { progress: !opts.json && (!opts.ssh || process.stdout.isTTY === true) });
  if (done.machine && done.state === 'allocated') return ready(done.machine);
  output(opts, done, () => ui.error(`request ${done.id} for a ${type} machine ${done.state}${done.error ? `: ${done.error}` : ''}`));
  return 1;
}

function printQueued(request: MachineRequest): void {
  ui.say(`No ${request.type} machine is warm right now; request ${style.bold(request.id)} is ${ordinal(request.position)} in the queue.`);
  ui.say(style.dim(`Follow it with --wait next time, or see it arrive in: hearth machines list`));
}

function ordinal(position: number | undefined): string {
  return position === undefined ? 'waiting' : `number ${position}`;
}

/** The machine as JSON (with `connect: {host, port, user, jump}`), or its connection card. */
export function printMachine(machine: Machine, opts: ApiOptions): void {
  output(opts, machine, () => {
    ui.say(`${style.good('Machine ready:')} ${style.bold(machine.id)} (${machine.type} on ${machine.cloud}, region ${machine.region})`);
    ui.say(`  ${machine.sshCommand}`);
    ui.say(style.dim(`Release it when done: hearth machines release ${machine.id}`));
  });
}

/** `hearth machines list`: your machines (admins: --all for everyone's). */
export async function listMachines(client: ApiClient, opts: ApiOptions & { all?: boolean }): Promise<void> {
  const machines = await client.machines(opts.all === true);
  output(opts, { machines }, () => {
    if (machines.length === 0) ui.say('No machines. Ask for one: hearth machines request TYPE');
    else ui.say(machinesTable(machines, opts.all === true));
  });
}

export function machinesTable(machines: readonly Machine[], withUser: boolean, now = Date.now()): string {
  return table(machines, [
    { heading: 'ID', cell: (m) => m.id },
    { heading: 'TYPE', cell: (m) => m.type },
    ...(withUser ? [{ heading: 'USER', cell: (m: Machine) => m.user }] : []),
    { heading: 'CLOUD', cell: (m) => m.cloud },
    { heading: 'STATE', cell: (m) => (m.warnedAt ? `${m.state} (reclaim warned)` : m.state) },
    { heading: 'SINCE', cell: (m) => ago(m.allocatedAt, now) },
    { heading: 'SSH', cell: (m) => m.sshCommand },
  ]);
}

export function registerMachines(program: Command, exit: Exit): void {
  const machines = program.command('machines').description('ask for analysis machines, list yours, release them');
  apiCommand(machines.command('types'), 'print {"types":[…]} as JSON')
    .description('list the machine types you can ask for, with how many are warm on each cloud')
    .action(async (opts: ApiOptions) => exit(await withApi(opts, (c) => listTypes(c, opts))));
  apiCommand(machines.command('request'), 'print the machine as JSON, with connect: {host, port, user, jump}; a request left queued (no --wait) prints {id, type, state, position}')
    .description('ask for a machine of TYPE: a warm one is yours at once, with the ssh command to log in')
    .argument('<type>', 'machine type, as in `hearth machines types`')
    .option('--ssh-key <file>', 'public key to log in with (default: ~/.ssh/id_ed25519.pub, then id_ecdsa.pub, id_rsa.pub, then the key stored with your account)')
    .option('--region <region>', 'prefer machines in this region (e.g. near your data)')
    .option('--wait', 'when none is warm, wait in the queue (showing your position) until the machine is ready; Ctrl-C cancels the request')
    .option('--ssh', 'log in as soon as the machine is yours (waits like --wait); a COMMAND after -- runs there instead of a shell')
    .option('-i, --identity <file>', 'with --ssh: the private key to log in with (ssh -i)')
    .option('-F, --ssh-config <file>', 'with --ssh: an ssh config file (ssh -F)')
    .argument('[command...]', 'with --ssh: a command to run on the machine, after --')
    .action(async (type: string, command: string[], opts: RequestOptions) => exit(await withApi(opts, (c) => requestMachine(c, type, opts, command))));
  apiCommand(machines.command('list'), 'print {"machines":[…]} as JSON')
    .description('list your machines with their ssh commands')
    .option('--all', "admins: everyone's machines")
    .action(async (opts: ApiOptions & { all?: boolean }) => exit(await withApi(opts, (c) => listMachines(c, opts))));
  urlOption(machines.command('ssh'))
    .description("log into one of your machines with OpenSSH's ssh (through the jump host where one is needed); exits with ssh's code")
    .argument('<id>', 'machine id, as in `hearth machines list`')
    .argument('[command...]', 'a command to run there instead of a shell, after --')
    .option('-i, --identity <file>', 'the private key to log in with (ssh -i)')
    .option('-F, --ssh-config <file>', 'an ssh config file (ssh -F)')
    .action(async (id: string, command: string[], opts: ApiOptions & SshOptions) => exit(await withApi(opts, (c) => sshMachine(c, id, opts, command))));
  apiCommand(machines.command('release'), 'print {"released": ID} as JSON')
    .description('give a machine back: it is deleted with everything on it, and its pool refilled')
    .argument('<id>', 'machine id, as in `hearth machines list`')
    .action(async (id: string, opts: ApiOptions) => exit(await withApi(opts, (c) => release(c, id, opts))));
}

/** `hearth machines release ID`. */
export async function release(client: ApiClient, id: string, opts: ApiOptions): Promise<void> {
  await client.release(id);
  output(opts, { released: id }, () => ui.say(`Released ${id}.`));
}
