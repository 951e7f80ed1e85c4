import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import { SshPublicKey } from '@hearth/bus';
import { UsageError } from '../api/api-error.js';

/** The keys `machines request` looks for when no --ssh-key is given, in this order. */
export const defaultKeyFiles = ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub'];

/**
 * The public key to put on the machine: the first line of `file` when given, else the first
 * of ~/.ssh/id_ed25519.pub, id_ecdsa.pub, id_rsa.pub that exists; undefined when none does
 * (the server then uses the key stored with the account).
 * @throws UsageError when the file is missing or holds no OpenSSH public key (a private key, say).
 */
export async function findPublicKey(file: string | undefined, home: string = homedir()): Promise<string | undefined> {
  if (file) return readKey(file);
  for (const name of defaultKeyFiles) {
    const path = join(home, '.ssh', name);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) return readKey(path, text);
  }
  return undefined;
}

async function readKey(path: string, text?: string): Promise<string> {
  let content = text;
  if (content === undefined) {
    try {
      content = await readFile(path, 'utf8');
    } catch (err) {
      throw new UsageError(`--ssh-key ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
    }
  }
  const line = content.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  // the same schema the pool manager checks the key with, so a bad key never leaves the laptop
  const privateKey = content.includes('PRIVATE KEY');
  if (!Value.Check(SshPublicKey, line)) {
    const hint = privateKey ? `; that is a private key, give the public one (${path}.pub)` : '';
    throw new UsageError(`${path} does not hold an OpenSSH public key line ("ssh-ed25519 AAAA… comment")${hint}`);
  }
  return line;
}
