import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { environment } from '@hearth/config';
import { CommandError } from '../api/api-error.js';
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

/** Checks that OpenSSH's `ssh` is on the PATH: before asking for a machine, not after. */
export function requireSsh(path = environment()['PATH'] ?? ''): void {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'ssh'), fsConstants.X_OK);
      return;
    } catch {
      // not in this directory
    }
  }
  throw sshMissing();
}

function sshMissing(): CommandError {
  return new CommandError('ssh is not installed here: install OpenSSH (Debian: apt-get install openssh-client), or log in with the ssh command `hearth machines list` shows');
}

/**
 * Runs OpenSSH's `ssh` on this terminal into a machine allocated to `user` and resolves
 * with its exit code (a signal that ends it counts as 128 + its number, as in a shell).
 * Meanwhile Ctrl-C and Ctrl-\ belong to ssh, as with system(3).
 */
export function runSsh(machine: Machine, user: string, opts: SshOptions, command: readonly string[]): Promise<number> {
  checkLogin(machine, user);
  const args = sshArgs(machine.connect, opts, command);
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: 'inherit' });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? sshMissing() : new CommandError(`running ssh: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  }).finally(() => {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  });
}

/** A machine `user` can log into: allocated, and to them. */
function checkLogin(machine: Machine, user: string): void {
  if (machine.state !== 'allocated') throw new CommandError(`machine ${machine.id} is ${machine.state}: there is nothing to log into`);
  if (machine.user !== user) throw new CommandError(`machine ${machine.id} is ${machine.user}'s: ssh logs in as its owner, with the owner's key`);
}

/** `hearth machines ssh ID [-- COMMAND…]`: logs into one of your machines. */
export async function sshMachine(client: ApiClient, id: string, opts: SshOptions, command: readonly string[]): Promise<number> {
  requireSsh();
  const [machine, me] = await Promise.all([client.machine(id), client.me()]);
  checkLogin(machine, me.name);
  if (command.length === 0) ui.note(`Logging into ${machine.id} (${machine.type} on ${machine.cloud}): ${machine.sshCommand}`);
  return runSsh(machine, me.name, opts, command);
}
