import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

/** An SSH key pair: the private key in OpenSSH format and the public key line. */
export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/**
 * True when both halves parse and belong together. ssh2's ed25519 generator drops a
 * leading zero byte about once in 256 keys, making a key that no server accepts.
 */
export function isUsableKeyPair(pair: KeyPair): boolean {
  const parsed = ssh2.utils.parseKey(pair.privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) return false;
  const publicBlob = pair.publicKey.split(' ')[1] ?? '';
  return key.getPublicSSH().toString('base64') === publicBlob;
}

/** A new, checked ed25519 key pair. */
export function generateKeyPair(comment = 'hearth'): KeyPair {
  for (;;) {
    const raw = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const pair = { privateKey: raw.private, publicKey: raw.public.trim() };
    if (isUsableKeyPair(pair)) return pair;
  }
}

/**
 * The installation's own key (for readiness probes and personalization), made on first use
 * and kept at `path` (mode 0600) with `path.pub` beside it.
 */
export function loadOrCreateKeyPair(path: string, comment: string): KeyPair {
  if (existsSync(path) && existsSync(`${path}.pub`)) {
    const stored = { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
    // a broken key (see isUsableKeyPair) would fail every login for good: make a new one
    if (isUsableKeyPair(stored)) return stored;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const pair = generateKeyPair(comment);
  writeFileSync(path, pair.privateKey, { mode: 0o600 });
  chmodSync(path, 0o600);
  writeFileSync(`${path}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
  return pair;
}
