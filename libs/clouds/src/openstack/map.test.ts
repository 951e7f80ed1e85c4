import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InstanceState } from '../driver.js';
import { installationTag, instanceState, tagsProblem, toInstance, type NovaServer } from './map.js';
import { encodeUserData } from './user-data.js';

// server-active.json is GET /servers/{id} at microversion 2.79 from the Zed control plane.
const active = (JSON.parse(readFileSync(new URL('./__fixtures__/server-active.json', import.meta.url), 'utf8')) as { server: NovaServer }).server;

describe('nova server mapping', () => {
  it('maps an ACTIVE server with its owner tags and fixed address', () => {
    const instance = toInstance(active, 'private');
    expect(instance).toMatchObject({
      ref: { id: '0a95f95c-1cd5-4bf1-b625-ce73e1fd9cc0' },
      state: InstanceState.Running,
      privateIp: '10.0.0.156',
      tags: { 'hearth:installation': 'inst-1', 'hearth:machine': 'm-fixture-1', 'hearth:type': 'analysis-1' },
    });
    expect(instance.createdAt.toISOString()).toBe('2026-11-22T05:29:10.000Z');
    expect(instance.publicIp).toBeUndefined();
  });

  it.each([
    ['BUILD', InstanceState.Pending],
    ['REBOOT', InstanceState.Pending],
    ['SHUTOFF', InstanceState.Stopped],
    ['SHELVED_OFFLOADED', InstanceState.Stopped],
    ['SOFT_DELETED', InstanceState.Deleting],
  ])('maps %s to %s', (status, state) => {
    expect(instanceState({ ...active, status })).toEqual({ state });
  });

  it('carries the fault message of an ERROR server', () => {
    const failed = { ...active, status: 'ERROR', fault: { code: 500, message: 'No valid host was found. There are not enough hosts available.' } };
    expect(instanceState(failed)).toEqual({ state: InstanceState.Error, fault: 'No valid host was found. There are not enough hosts available.' });
    expect(instanceState({ ...active, status: 'ERROR' }).fault).toMatch(/without a fault message/);
  });

  it('reports a server being deleted as deleting while its status is still ACTIVE', () => {
    expect(instanceState({ ...active, 'OS-EXT-STS:task_state': 'deleting' }).state).toBe(InstanceState.Deleting);
  });

  it('prefers the configured network and IPv4, and reports a floating address as public', () => {
    const server: NovaServer = {
      ...active,
      addresses: {
        other: [{ addr: '192.168.9.9', version: 4, 'OS-EXT-IPS:type': 'fixed' }],
        analysis: [
          { addr: 'fd00::5', version: 6, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '10.1.0.5', version: 4, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '203.0.113.7', version: 4, 'OS-EXT-IPS:type': 'floating' },
        ],
      },
    };
    expect(toInstance(server, 'analysis')).toMatchObject({ privateIp: '10.1.0.5', publicIp: '203.0.113.7' });
  });

  it('flags an unknown status as an error rather than guessing', () => {
    expect(instanceState({ ...active, status: 'WEIRD' })).toEqual({ state: InstanceState.Error, fault: 'unknown nova server status "WEIRD"' });
  });
});

describe('owner tags in nova', () => {
  it('keeps the installation tag within 60 characters and free of / and ,', () => {
    expect(installationTag('prod-1')).toBe('hearth:installation=prod-1');
    const long = installationTag('x'.repeat(80));
    expect(long).toMatch(/^hearth:installation#[0-9a-f]{32}$/);
    expect(installationTag('a/b')).not.toContain('/');
  });

  it("refuses metadata Nova would refuse: over 255 characters, or outside hearth:", () => {
    expect(tagsProblem({ 'hearth:user': 'u'.repeat(256) })).toMatch(/longer than Nova's 255/);
    expect(tagsProblem({ owner: 'x' })).toMatch(/not an owner tag/);
    expect(tagsProblem({ 'hearth:user': 'ada' })).toBeUndefined();
  });
});

describe('cloud-init user data', () => {
  const decode = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

  it('lets the launch keys log in as root', () => {
    expect(decode(encodeUserData(['ssh-ed25519 AAAA a'], undefined))).toBe(
      '#cloud-config\ndisable_root: false\nssh_authorized_keys: ["ssh-ed25519 AAAA a"]\n',
    );
  });

  it("sends the launch's own user data as a second MIME part", () => {
    const text = decode(encodeUserData(['ssh-ed25519 AAAA a'], '#!/bin/sh\necho hi\n'));
    expect(text).toMatch(/^Content-Type: multipart\/mixed; boundary="hearth-[0-9a-f]+"/);
    expect(text).toContain('Content-Type: text/cloud-config');
    expect(text).toContain('Content-Type: text/x-shellscript; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n\n#!/bin/sh\necho hi\n');
  });
});
