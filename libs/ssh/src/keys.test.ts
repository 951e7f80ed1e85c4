import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, isUsableKeyPair, loadOrCreateKeyPair } from './keys.js';

describe('SSH keys', () => {
  it('generates only usable ed25519 key pairs (ssh2 alone breaks about one in 256)', () => {
    for (let i = 0; i < 600; i++) expect(isUsableKeyPair(generateKeyPair())).toBe(true);
  });

  it('rejects a pair whose halves do not belong together', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(isUsableKeyPair({ privateKey: a.privateKey, publicKey: b.publicKey })).toBe(false);
    expect(isUsableKeyPair({ privateKey: 'not a key', publicKey: a.publicKey })).toBe(false);
  });

  it('keeps the installation key across calls and replaces a stored key that is broken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-keys-'));
    try {
      const path = join(dir, 'ssh', 'id_ed25519');
      const first = loadOrCreateKeyPair(path, 'hearth-test');
      expect(loadOrCreateKeyPair(path, 'hearth-test')).toEqual(first);
      await writeFile(`${path}.pub`, generateKeyPair().publicKey);
      const replaced = loadOrCreateKeyPair(path, 'hearth-test');
      expect(isUsableKeyPair(replaced)).toBe(true);
      expect(replaced.publicKey).not.toBe(first.publicKey);
      expect((await readFile(`${path}.pub`, 'utf8')).trim()).toBe(replaced.publicKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
