import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ApiClient } from '../api/client.js';
import type { Connection, Machine } from '../api/types.js';
import { ui } from '../ui/terminal.js';

export interface SshOptions {
  /** `ssh -F`: a config file (it is passed on to the jump host too). */
  sshConfig?: string;
  /** `ssh -i`: the private key matching the public key the machine was given. */
  identity?: string;
}

/** ssh's arguments for a machine: options, port, jump host, the login, then the remote command, if any. */
export function sshArgs(connect: Connection, opts: SshOptions, command: readonly string[]): string[] {
  return [
    ...(opts.sshConfig ? ['-F', opts.sshConfig] : []),
    ...(opts.identity ? ['-i', opts.identity] : []),
    '-p',
    String(connect.port),
    ...(connect.jump ? ['-J', connect.jump] : []),
    `${connect.user}@${connect.host}`,
    ...(command.length > 0 ? ['--', ...command] : []),
  ];
}

/**
 * Runs OpenSSH's `ssh` on this terminal into an allocated machine and resolves with its exit
 * code (a signal that ends it counts as 128 + its number, as in a shell).
 */
export function runSsh(machine: Machine, opts: SshOptions, command: readonly string[]): Promise<number> {
  if (machine.state !== 'allocated') throw new Error(`machine ${machine.id} is ${machine.state}, not allocated to you: nothing to log into`);
  const args = sshArgs(machine.connect, opts, command);
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: 'inherit' });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new Error('ssh is not installed here: install OpenSSH (Debian: apt-get install openssh-client), or run the ssh command `hearth machines list` shows') : err);
    });
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** `hearth machines ssh ID [-- COMMAND…]`: logs into one of your machines. */
export async function sshMachine(client: ApiClient, id: string, opts: SshOptions, command: readonly string[]): Promise<number> {
  const machine = await client.machine(id);
  if (command.length === 0) ui.note(`Logging into ${machine.id} (${machine.type} on ${machine.cloud}): ${machine.sshCommand}`);
  return runSsh(machine, opts, command);
}
