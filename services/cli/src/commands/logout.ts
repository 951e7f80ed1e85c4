import type { Command } from 'commander';
import { environment } from '@hearth/config';
import { ApiError, UnreachableError } from '../api/api-error.js';
import { ApiClient } from '../api/client.js';
import { credentialsPath, deleteCredentials, readCredentials } from '../api/credentials.js';
import { output, reportError, type Exit } from '../api/session.js';
import { ui } from '../ui/terminal.js';

/**
 * `hearth logout`: revokes the stored token on the server and deletes the credentials file.
 * A token the server no longer accepts counts as revoked; when the server cannot be
 * reached the file is deleted anyway and the exit code is 1, since the token still works.
 */
export async function logout(opts: { json?: boolean }): Promise<number> {
  const path = credentialsPath(environment());
  const stored = await readCredentials(path).catch(() => undefined);
  if (!stored) {
    await deleteCredentials(path);
    output(opts, { loggedOut: false, reason: 'not logged in' }, () => ui.say('Not logged in; nothing to do.'));
    return 0;
  }
  let code = 0;
  let revoked = true;
  try {
    if (stored.tokenId) await new ApiClient(stored.url, stored.token).revokeToken(stored.tokenId);
    else revoked = false;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      revoked = true; // already revoked, expired, or the account disabled
    } else if (err instanceof ApiError || err instanceof UnreachableError) {
      revoked = false;
      code = reportError(err);
    } else {
      throw err;
    }
  }
  await deleteCredentials(path);
  output(opts, { loggedOut: true, url: stored.url, user: stored.user, revoked }, () => {
    ui.say(`Logged out of ${stored.url}${stored.user ? ` (${stored.user})` : ''}.`);
    if (!revoked) ui.warn(`token ${stored.tokenId || '(unknown id)'} was not revoked on the server and stays valid until it is`);
  });
  return code;
}

export function registerLogout(program: Command, exit: Exit): void {
  program
    .command('logout')
    .description('revoke the stored API token on the server and forget it')
    .option('--json', 'print {"loggedOut","url","user","revoked"} as JSON')
    .action(async (opts: { json?: boolean }) => exit(await logout(opts)));
}
