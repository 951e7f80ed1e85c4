import { describe, expect, it } from 'vitest';
import { CommandError } from '../api/api-error.js';
import { requireSsh, sshArgs } from './machines-ssh.js';

describe('sshArgs', () => {
  it('logs in on the port given, through the jump host where there is one', () => {
    expect(sshArgs({ host: '10.0.0.5', port: 22, user: 'ada', jump: 'bastion@203.0.113.9:22' }, {}, [])).toEqual(['-p', '22', '-J', 'bastion@203.0.113.9:22', 'ada@10.0.0.5']);
    expect(sshArgs({ host: '127.0.0.1', port: 32768, user: 'ada' }, {}, [])).toEqual(['-p', '32768', 'ada@127.0.0.1']);
  });

  it('puts the options first and the remote command after --, so it is never read as an option', () => {
    expect(sshArgs({ host: 'h', port: 22, user: 'ada' }, { sshConfig: '/c', identity: '/k' }, ['-v', 'x'])).toEqual(['-F', '/c', '-i', '/k', '-p', '22', 'ada@h', '--', '-v', 'x']);
  });
});

describe('requireSsh', () => {
  it('finds an executable ssh on the PATH, and says how to install it when there is none', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const empty = await mkdtemp(join(tmpdir(), 'hearth-nossh-'));
    const withSsh = await mkdtemp(join(tmpdir(), 'hearth-ssh-'));
    try {
      await writeFile(join(withSsh, 'ssh'), '#!/bin/sh\n', { mode: 0o755 });
      expect(() => requireSsh(`${empty}:${withSsh}`)).not.toThrow();
      expect(() => requireSsh(empty)).toThrow(CommandError);
      expect(() => requireSsh(empty)).toThrow(/apt-get install openssh-client/);
    } finally {
      await rm(empty, { recursive: true, force: true });
      await rm(withSsh, { recursive: true, force: true });
    }
  });
});
