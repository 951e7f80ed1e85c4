import { hostname } from 'node:os';
import type { Command } from 'commander';
import { environment } from '@hearth/config';
import { UsageError } from '../api/api-error.js';
import { ApiClient } from '../api/client.js';
import { credentialsPath, normalizeUrl, readCredentials, writeCredentials } from '../api/credentials.js';
import { password } from '../api/password.js';
import { output, reportError, type Exit } from '../api/session.js';
import { style, ui } from '../ui/terminal.js';

export interface LoginOptions {
  url?: string;
  user: string;
  passwordStdin?: boolean;
  json?: boolean;
}

/**
 * `hearth login`: trades the password for a personal API token (POST /api/v1/auth/tokens)
 * and keeps address and token in the credentials file, mode 0600. A previous token for
 * the same address is revoked, so logins do not pile up tokens.
 */
export async function login(opts: LoginOptions): Promise<number> {
  try {
    const env = environment();
    const url = normalizeUrl(opts.url ?? env['HEARTH_URL']);
    if (!url) throw new UsageError('say where Hearth is: hearth login --url https://hearth.example.org --user NAME');
    const secret = await password(opts, `Password for ${opts.user} at ${url}: `);
    const anonymous = new ApiClient(url);
    const token = await anonymous.createToken(opts.user, secret, `hearth cli on ${hostname()}`);
    const me = await anonymous.withToken(token.token).me();
    const path = credentialsPath(env);
    const previous = await readCredentials(path).catch(() => undefined);
    await writeCredentials(path, { url, user: me.name, token: token.token, tokenId: token.id, createdAt: new Date().toISOString() });
    if (previous && normalizeUrl(previous.url) === url && previous.tokenId && previous.tokenId !== token.id) {
      // best effort: the old token may already be revoked or expired
      await anonymous.withToken(previous.token).revokeToken(previous.tokenId).catch(() => undefined);
    }
    output(opts, { url, user: me.name, role: me.role, tokenId: token.id, credentials: path, ...(token.expiresAt !== undefined ? { expiresAt: new Date(token.expiresAt).toISOString() } : {}) }, () => {
      ui.say(`${style.good('Logged in')} to ${url} as ${style.bold(me.name)} (${me.role}).`);
      const until = token.expiresAt !== undefined ? `, valid until ${new Date(token.expiresAt).toISOString().slice(0, 10)} (log in again then)` : '';
      ui.say(style.dim(`Token "${token.name}" stored in ${path}${until}.`));
    });
    return 0;
  } catch (err) {
    return reportError(err, { login: true });
  }
}

export function registerLogin(program: Command, exit: Exit): void {
  program
    .command('login')
    .description('log in to a Hearth installation: asks for your password (without echo) and stores a personal API token for the other commands')
    .option('--url <url>', 'the Hearth address, e.g. https://hearth.example.org (default: $HEARTH_URL)')
    .requiredOption('-u, --user <name>', 'your Hearth user name')
    .option('--password-stdin', 'read the password from stdin instead of asking (for scripts)')
    .option('--json', 'print {"url","user","role","tokenId","credentials","expiresAt"} as JSON')
    .addHelpText('after', '\nThe token goes to $XDG_CONFIG_HOME/hearth/credentials.json (default ~/.config/hearth/), readable only by you.')
    .action(async (opts: LoginOptions) => exit(await login(opts)));
}
