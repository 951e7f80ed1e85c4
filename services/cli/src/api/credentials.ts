import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { NotLoggedInError } from './api-error.js';

/** What `hearth login` keeps: where the API is, who logged in, and their personal token. */
export interface Credentials {
  url: string;
  user: string;
  token: string;
  tokenId: string;
  createdAt: string;
}

/** `$XDG_CONFIG_HOME/hearth/credentials.json`, or `~/.config/hearth/credentials.json`. */
export function credentialsPath(env: Readonly<Record<string, string | undefined>>): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'hearth', 'credentials.json');
}

/** The stored login, or undefined when there is none (or it cannot be read as one). */
export async function readCredentials(path: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<Credentials>;
  if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') return undefined;
  return { url: parsed.url, user: parsed.user ?? '', token: parsed.token, tokenId: parsed.tokenId ?? '', createdAt: parsed.createdAt ?? '' };
}

/** Writes the login readable by its owner only (0600, directory 0700). */
export async function writeCredentials(path: string, creds: Credentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  // mode applies only when the file is created; an older file keeps its mode otherwise
  await chmod(path, 0o600);
}

export async function deleteCredentials(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Flags and environment that choose the API and the token. */
export interface TargetOptions {
  url?: string;
}

/** The address and token an API verb uses. */
export interface Target {
  url: string;
  token: string;
}

/**
 * `--url`, then `HEARTH_URL`, then the stored login's address; `HEARTH_TOKEN`, then the
 * stored token, which is only ever sent to the address it was issued by.
 * @throws NotLoggedInError when no address or no token applies.
 */
export function resolveTarget(opts: TargetOptions, env: Readonly<Record<string, string | undefined>>, stored: Credentials | undefined): Target {
  const url = normalizeUrl(opts.url ?? env['HEARTH_URL'] ?? stored?.url);
  if (!url) throw new NotLoggedInError(undefined);
  const envToken = env['HEARTH_TOKEN'];
  const token = envToken || (stored && normalizeUrl(stored.url) === url ? stored.token : undefined);
  if (!token) throw new NotLoggedInError(url);
  return { url, token };
}

/** `https://hearth.example.org/` → `https://hearth.example.org`; adds `http://` to a bare `host:port`. */
export function normalizeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  return withScheme.replace(/\/+$/, '');
}
