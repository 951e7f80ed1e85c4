#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '@hearth/config';
import { registerClouds } from './commands/clouds.js';
import { down } from './commands/down.js';
import { registerLogin } from './commands/login.js';
import { registerLogout } from './commands/logout.js';
import { registerMachines } from './commands/machines.js';
import { registerPools } from './commands/pools.js';
import { registerUsers } from './commands/users.js';
import { logs } from './commands/logs.js';
import { status } from './commands/status.js';
import { test } from './commands/test.js';
import { up } from './commands/up.js';
import { PreflightError } from './stack/preflight.js';
import { MissingRequirementError } from './system/requirements.js';
import { ui } from './ui/terminal.js';
import { version } from './version.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const stackOptions = (cmd: Command): Command =>
  cmd
    .option('-c, --config <file>', 'hearth.yaml to use (default: $HEARTH_CONFIG, else ./hearth.yaml if present, else built-in defaults)')
    .option('--data-dir <dir>', 'where state, logs and the NATS store live (default: ./.hearth or dataDir in hearth.yaml)')
    .option('--set <path=value>', 'override one setting, e.g. --set gateway.port=9090 (repeatable)', collect);

const program = new Command('hearth')
  .description('Hearth: ready analysis machines in well under a second, with the data already on them.')
  .version(version)
  .showHelpAfterError('(add --help for usage)')
  // usage errors exit 2 (docs/cli.md); inherited by every command defined below
  .exitOverride();

stackOptions(program.command('up'))
  .description('start the local stack: nats-server with JetStream and every service, supervised; installs what is missing')
  .option('-d, --detach', 'run in the background and return once everything is healthy')
  .option('--no-install', 'never run apt-get; only say what is missing')
  .option('--no-docker', 'do not check for or start a Docker engine')
  .option('--allow-unsafe-nats', 'accept a nats-server older than 2.10.23 (acknowledged writes may be lost)')
  .option('--ready-timeout <ms>', 'how long services may take to become healthy', (v) => Number(v))
  .addOption(new Option('--supervise').hideHelp())
  .action(async (opts) => exit(await up(opts)));

stackOptions(program.command('down'))
  .description('stop the local stack and every process it started (machines on the Docker cloud keep running)')
  .option('--delete-machines', "also delete this installation's machines on the local Docker cloud")
  .action(async (opts) => exit(await down(opts)));

stackOptions(program.command('status'))
  .description('show whether NATS and every service are healthy (exit 0 healthy, 1 unhealthy, 3 not running)')
  .option('--json', 'print {"running","nats","services":[{"name","healthy","pid","restarts"}],"portal"} as JSON')
  .action(async (opts) => exit(await status(opts)));

stackOptions(program.command('logs'))
  .description('show the logs of one service (nats-server, supervisor, gateway, …) or of all')
  .argument('[service]', 'the service whose log to show')
  .option('-f, --follow', 'keep printing new lines')
  .option('-n, --lines <count>', 'how many lines of each log to show', (v) => Number(v), 50)
  .option('--raw', 'print JSON lines as written')
  .action(async (service: string | undefined, opts) => exit(await logs(service, opts)));

program
  .command('test')
  .description('install what the tests need, lint, then run the whole test suite (arguments go to vitest)')
  .option('--no-install', 'never run apt-get; only say what is missing')
  .option('--no-lint', 'skip eslint (for quick runs while iterating)')
  .allowUnknownOption()
  .argument('[vitest-args...]')
  .action(async (args: string[], opts) => exit(await test(args, opts)));

// the user and admin verbs, over the REST API
for (const register of [registerLogin, registerLogout, registerMachines, registerPools, registerClouds, registerUsers]) register(program, exit);

function exit(code: number): never {
  process.exit(code);
}

try {
  await program.parseAsync();
} catch (err) {
  // commander has printed the message or the help already
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (err instanceof ConfigError) {
    ui.error(`invalid configuration\n${err.message}`);
    process.exit(2);
  }
  if (err instanceof PreflightError) {
    ui.error(err.message);
    process.exit(err.exitCode);
  }
  if (err instanceof MissingRequirementError) {
    ui.error(err.message);
    process.exit(1);
  }
  ui.error((err as Error).stack ?? String(err));
  process.exit(1);
}
