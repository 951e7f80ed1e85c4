import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerTag } from '@hearth/clouds';
import { runCli, type CliResult } from '../helpers/cli.js';
import { analysisImage, removeByLabel } from '../helpers/docker-image.js';
import { startGatewayStack, type GatewayStack } from '../helpers/gateway-stack.js';
import { machineType, pool } from '../helpers/pool-manager.js';

// `hearth machines request --ssh` and `hearth machines ssh` log into real machines: the
// built CLI, the real gateway and pool manager, Docker containers with a real sshd, and
// OpenSSH's ssh on this host.

const run = promisify(execFile);
const cloud = 'docker-cli-ssh';

let stack: GatewayStack;
let dir: string;
let sshConfig: string;

/** Runs the built `hearth` as the scientist ada, or as the owner of `token` (URL and token from the environment). */
function hearth(args: string[], token = stack.ada): Promise<CliResult> {
  return runCli(args, { env: { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), HEARTH_URL: stack.gw.url, HEARTH_TOKEN: token, HEARTH_CONFIG: undefined } });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-cli-ssh-'));
  const keyFile = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ada@cli-ssh', '-f', keyFile]);
  // no host-key prompts for fresh machines; the key is given with -i by the tests
  sshConfig = join(dir, 'ssh_config');
  await writeFile(sshConfig, 'Host *\n  IdentitiesOnly yes\n  BatchMode yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 30\n');
  const image = await analysisImage();
  stack = await startGatewayStack([
    ...machineType(0, 'analysis', [`images.default=${image}`, 'bootTimeoutMs=120s']),
    `clouds[0].name=${cloud}`,
    'clouds[0].driver=docker',
    'clouds[0].region=local',
    'clouds[0].network=hearth-test',
    ...pool(0, 'analysis', cloud, 1, 3),
  ]);
  // the key the machine is given: the scientist's, stored with the account
  const sshPublicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
  const saved = await fetch(`${stack.gw.url}/api/v1/me/ssh-key`, { method: 'PUT', headers: { authorization: `Bearer ${stack.ada}`, 'content-type': 'application/json' }, body: JSON.stringify({ sshPublicKey }) });
  expect(saved.status).toBe(200);
}, 600_000);

afterAll(async () => {
  const installation = stack?.pm.installation;
  await stack?.stop();
  if (installation) await removeByLabel(`${OwnerTag.Installation}=${installation}`);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('hearth machines request --ssh and hearth machines ssh', () => {
  let machineId: string;

  it('requests a machine and runs a command on it as the scientist, with only that command\'s output on stdout', async () => {
    const r = await hearth(['machines', 'request', 'analysis', '--ssh', '-F', sshConfig, '-i', join(dir, 'id_ed25519'), '--', 'whoami']);
    expect(r.stderr).toMatch(/^Machine ready: (m-[0-9a-f]+) \(analysis on docker-cli-ssh\); release it when done: hearth machines release m-[0-9a-f]+$/m);
    expect(r).toMatchObject({ code: 0, stdout: 'ada\n' });
    machineId = /Machine ready: (m-[0-9a-f]+)/.exec(r.stderr)?.[1] ?? '';
  }, 180_000);

  it('logs into that machine again by id, and exits with the remote command\'s code', async () => {
    const r = await hearth(['machines', 'ssh', machineId, '-F', sshConfig, '-i', join(dir, 'id_ed25519'), '--', 'sh', '-c', 'hostname; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout.trim()).not.toBe('');
  }, 120_000);

  it('refuses another user\'s machine, names an unknown one with exit code 5, and refuses --ssh with --json or a command without --ssh', async () => {
    // an admin may read ada's machine, but ssh would log in as ada with the admin's key: refused, one line
    const notTheirs = await hearth(['machines', 'ssh', machineId, '-F', sshConfig], stack.admin);
    expect(notTheirs.code).toBe(1);
    expect(notTheirs.stderr).toBe(`error: machine ${machineId} is ada's: ssh logs in as its owner, with the owner's key\n`);
    const unknown = await hearth(['machines', 'ssh', 'm-000000dead']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/m-000000dead/);
    const both = await hearth(['machines', 'request', 'analysis', '--ssh', '--json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--ssh .*--json/);
    const stray = await hearth(['machines', 'request', 'analysis', '--', 'whoami']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/only with --ssh/);
    // nothing was asked for by the refused calls: the scientist has the one machine
    const mine = (await (await fetch(`${stack.gw.url}/api/v1/machines`, { headers: { authorization: `Bearer ${stack.ada}` } })).json()) as { machines: unknown[] };
    expect(mine.machines).toHaveLength(1);
  });
});
