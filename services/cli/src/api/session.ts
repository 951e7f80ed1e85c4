import type { Command } from 'commander';
import { environment } from '@hearth/config';
import { ui } from '../ui/terminal.js';
import { ApiError, CommandError, exitCodeFor, ExitCode, NotLoggedInError, UnreachableError, UsageError } from './api-error.js';
import { ApiClient } from './client.js';
import { credentialsPath, readCredentials, resolveTarget, type TargetOptions } from './credentials.js';

/** Options every API verb takes. */
export interface ApiOptions extends TargetOptions {
  json?: boolean;
}

/** How commands end: main.ts passes its `exit`, the only place that calls process.exit. */
export type Exit = (code: number) => never;

/**
 * Runs one API verb: finds the address and token (flags, environment, stored login), calls
 * `fn` with a client, and turns what went wrong into one line on stderr and an exit code
 * (docs/cli.md): 1 error, 2 usage, 4 not logged in or 401, 5 not found.
 */
export async function withApi(opts: TargetOptions, fn: (client: ApiClient) => Promise<number | void>): Promise<number> {
  try {
    const env = environment();
    const target = resolveTarget(opts, env, await readCredentials(credentialsPath(env)));
    return (await fn(new ApiClient(target.url, target.token))) ?? ExitCode.Ok;
  } catch (err) {
    return reportError(err);
  }
}

/**
 * Prints an error of an API verb as one line and returns its exit code; rethrows bugs.
 * `login` leaves out the "log in again" hint, which would only repeat the command.
 */
export function reportError(err: unknown, opts: { login?: boolean } = {}): number {
  if (!(err instanceof ApiError || err instanceof NotLoggedInError || err instanceof UnreachableError || err instanceof UsageError || err instanceof CommandError)) throw err;
  let line = err.message;
  if (err instanceof ApiError && err.status === 401 && !opts.login) line += `; log in again: hearth login --url ${err.url ?? 'URL'} --user NAME`;
  // the CLI sends bearer tokens, never cookies, so a 403 is a role the caller lacks
  if (err instanceof ApiError && err.status === 403) line += '; this needs the admin role';
  ui.error(line);
  return exitCodeFor(err);
}

/** Prints `data` as JSON with --json, or calls `human` to print it for people. */
export function output(opts: ApiOptions, data: unknown, human: () => void): void {
  if (opts.json) ui.say(JSON.stringify(data, null, 2));
  else human();
}

/** Adds --url, which every API verb takes (the token comes from $HEARTH_TOKEN or the stored login). */
export function urlOption(cmd: Command): Command {
  return cmd.option('--url <url>', 'Hearth address (default: $HEARTH_URL, else the one you logged in to)');
}

/** Adds what every API verb that prints a result takes: --url and --json. */
export function apiCommand(cmd: Command, json: string): Command {
  return urlOption(cmd).option('--json', json);
}
