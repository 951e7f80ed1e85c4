import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotLoggedInError } from './api-error.js';
import { credentialsPath, deleteCredentials, normalizeUrl, readCredentials, resolveTarget, writeCredentials, type Credentials } from './credentials.js';

const stored: Credentials = { url: 'https://hearth.example.org', user: 'ada', token: 'hth_stored', tokenId: 'tok-1', createdAt: '2026-01-01T00:00:00Z' };

describe('credentialsPath', () => {
  it('uses XDG_CONFIG_HOME, else ~/.config', () => {
    expect(credentialsPath({ XDG_CONFIG_HOME: '/x', HOME: '/home/ada' })).toBe('/x/hearth/credentials.json');
    expect(credentialsPath({ HOME: '/home/ada' })).toBe('/home/ada/.config/hearth/credentials.json');
  });
});

describe('resolveTarget', () => {
  it('takes the stored login when nothing overrides it', () => {
    expect(resolveTarget({}, {}, stored)).toEqual({ url: 'https://hearth.example.org', token: 'hth_stored' });
  });

  it('lets --url beat HEARTH_URL, and HEARTH_TOKEN beat the stored token', () => {
    expect(resolveTarget({ url: 'http://a:1' }, { HEARTH_URL: 'http://b:2', HEARTH_TOKEN: 'hth_env' }, stored)).toEqual({ url: 'http://a:1', token: 'hth_env' });
  });

  it('never sends the stored token to another address', () => {
    expect(() => resolveTarget({ url: 'http://elsewhere:8080' }, {}, stored)).toThrow(NotLoggedInError);
    expect(() => resolveTarget({ url: 'http://elsewhere:8080' }, {}, stored)).toThrow('not logged in to http://elsewhere:8080');
    expect(resolveTarget({ url: 'https://hearth.example.org/' }, {}, stored).token).toBe('hth_stored');
  });

  it('says how to log in when there is nothing at all', () => {
    expect(() => resolveTarget({}, {}, undefined)).toThrow(/run: hearth login --url URL --user NAME/);
  });
});

describe('normalizeUrl', () => {
  it('drops trailing slashes and adds http:// to host:port', () => {
    expect(normalizeUrl('https://h.example/')).toBe('https://h.example');
    expect(normalizeUrl('127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });
});

describe('credentials file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-creds-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written readable by its owner only, read back, and deleted', async () => {
    const path = join(dir, 'hearth', 'credentials.json');
    await writeCredentials(path, stored);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'hearth'))).mode & 0o777).toBe(0o700);
    expect(await readCredentials(path)).toEqual(stored);
    await deleteCredentials(path);
    expect(await readCredentials(path)).toBeUndefined();
  });
});
