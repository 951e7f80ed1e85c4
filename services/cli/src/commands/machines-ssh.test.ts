import { describe, expect, it } from 'vitest';
import { sshArgs } from './machines-ssh.js';

describe('sshArgs', () => {
  it('logs in on the port given, through the jump host where there is one', () => {
    expect(sshArgs({ host: '10.0.0.5', port: 22, user: 'ada', jump: 'bastion@203.0.113.9:22' }, {}, [])).toEqual(['-p', '22', '-J', 'bastion@203.0.113.9:22', 'ada@10.0.0.5']);
    expect(sshArgs({ host: '127.0.0.1', port: 32768, user: 'ada' }, {}, [])).toEqual(['-p', '32768', 'ada@127.0.0.1']);
  });

  it('puts the options first and the remote command after --, so it is never read as an option', () => {
    expect(sshArgs({ host: 'h', port: 22, user: 'ada' }, { sshConfig: '/c', identity: '/k' }, ['-v', 'x'])).toEqual(['-F', '/c', '-i', '/k', '-p', '22', 'ada@h', '--', '-v', 'x']);
  });
});
