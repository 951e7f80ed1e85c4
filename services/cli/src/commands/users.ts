import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient, UserChange } from '../api/client.js';
import { UsageError } from '../api/api-error.js';
import { password, promptPassword } from '../api/password.js';
import { apiCommand, output, withApi, type ApiOptions, type Exit } from '../api/session.js';
import type { User } from '../api/types.js';
import { ago, table } from '../ui/table.js';
import { ui } from '../ui/terminal.js';

/** The roles the gateway knows (docs/api.md). */
export const roles = ['scientist', 'admin'] as const;

/** `hearth users list`. */
export async function listUsers(client: ApiClient, opts: ApiOptions): Promise<void> {
  const users = await client.users();
  output(opts, { users }, () => ui.say(usersTable(users)));
}

export function usersTable(users: readonly User[], now = Date.now()): string {
  return table(users, [
    { heading: 'USER', cell: (u) => u.name },
    { heading: 'ROLE', cell: (u) => u.role },
    { heading: 'DISABLED', cell: (u) => u.disabled },
    { heading: 'CREATED', cell: (u) => ago(u.createdAt, now) },
  ]);
}

/** `hearth users add NAME`: the password from stdin, or asked for twice on the terminal. */
export async function addUser(client: ApiClient, name: string, opts: ApiOptions & { role: string; passwordStdin?: boolean }): Promise<void> {
  let secret = await password(opts, `Password for the new user ${name}: `);
  if (!opts.passwordStdin && secret !== (await promptPassword('Again: '))) throw new UsageError('the two passwords differ');
  const user = await client.addUser({ name, password: secret, role: opts.role });
  secret = '';
  output(opts, user, () => ui.say(`Added ${user.name} (${user.role}).`));
}

/** `hearth users disable|enable|role`: one change to one account. */
export async function changeUser(client: ApiClient, name: string, change: UserChange, opts: ApiOptions): Promise<void> {
  const user = await client.changeUser(name, change);
  output(opts, user, () => {
    if (change.disabled === true) ui.say(`Disabled ${user.name}: their sessions and tokens no longer work.`);
    else if (change.disabled === false) ui.say(`Enabled ${user.name}.`);
    else ui.say(`${user.name} is now ${user.role}.`);
  });
}

function role(value: string): string {
  if (!(roles as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${roles.join(', ')}`);
  return value;
}

export function registerUsers(program: Command, exit: Exit): void {
  const users = program.command('users').description('admins: local accounts and their roles');
  apiCommand(users.command('list'), 'print {"users":[{name, role, disabled, createdAt}]} as JSON')
    .description('list the accounts')
    .action(async (opts: ApiOptions) => exit(await withApi(opts, (c) => listUsers(c, opts))));
  apiCommand(users.command('add'), 'print the new user as JSON')
    .description('add an account; asks for its password (twice, without echo) unless --password-stdin')
    .argument('<name>', 'login name: lower-case letter or _, then up to 31 of a-z 0-9 _ -')
    .option('--role <role>', `${roles.join(' or ')}`, role, 'scientist')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .action(async (name: string, opts: ApiOptions & { role: string; passwordStdin?: boolean }) =>
      exit(await withApi(opts, (c) => addUser(c, name, opts))),
    );
  apiCommand(users.command('disable'), 'print the user as JSON')
    .description('disable an account: its sessions end and its tokens stop working at once')
    .argument('<name>', 'user name')
    .action(async (name: string, opts: ApiOptions) => exit(await withApi(opts, (c) => changeUser(c, name, { disabled: true }, opts))));
  apiCommand(users.command('enable'), 'print the user as JSON')
    .description('enable a disabled account again')
    .argument('<name>', 'user name')
    .action(async (name: string, opts: ApiOptions) => exit(await withApi(opts, (c) => changeUser(c, name, { disabled: false }, opts))));
  apiCommand(users.command('role'), 'print the user as JSON')
    .description('set an account\'s role')
    .argument('<name>', 'user name')
    .argument('<role>', roles.join(' or '), role)
    .action(async (name: string, newRole: string, opts: ApiOptions) => exit(await withApi(opts, (c) => changeUser(c, name, { role: newRole }, opts))));
}
