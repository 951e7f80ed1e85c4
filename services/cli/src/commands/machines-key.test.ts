import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPublicKey } from './machines-key.js';

const ed25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEs8Rz3Q9xS2o1lW0Tn1bJ0x6l4n6f5mJ5h5m0T9cQhV ada@laptop';
const rsa = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ada@old';

describe('findPublicKey', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'hearth-home-'));
    await mkdir(join(home, '.ssh'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('prefers id_ed25519.pub over id_rsa.pub, and finds nothing in an empty ~/.ssh', async () => {
    expect(await findPublicKey(undefined, home)).toBeUndefined();
    await writeFile(join(home, '.ssh', 'id_rsa.pub'), `${rsa}\n`);
    expect(await findPublicKey(undefined, home)).toBe(rsa);
    await writeFile(join(home, '.ssh', 'id_ed25519.pub'), `${ed25519}\n`);
    expect(await findPublicKey(undefined, home)).toBe(ed25519);
  });

  it('reads the file given, and refuses a private key with a hint', async () => {
    const pub = join(home, 'k.pub');
    await writeFile(pub, `\n${ed25519}\n`);
    expect(await findPublicKey(pub, home)).toBe(ed25519);
    const priv = join(home, 'k');
    await writeFile(priv, '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n');
    await expect(findPublicKey(priv, home)).rejects.toThrow(`that is a private key, give the public one (${priv}.pub)`);
    await expect(findPublicKey(join(home, 'missing.pub'), home)).rejects.toThrow('no such file');
  });
});
