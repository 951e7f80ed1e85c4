import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

/** An SSH key pair: the private key in OpenSSH format and the public key line. */
export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/** A new ed25519 key pair. */
export function generateKeyPair(comment = 'hearth'): KeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}

/**
 * The installation's own key (for readiness probes and personalization), made on first use
 * and kept at `path` (mode 0600) with `path.pub` beside it.
 */
export function loadOrCreateKeyPair(path: string, comment: string): KeyPair {
  if (existsSync(path) && existsSync(`${path}.pub`)) {
    return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const pair = generateKeyPair(comment);
  writeFileSync(path, pair.privateKey, { mode: 0o600 });
  writeFileSync(`${path}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
  return pair;
}
