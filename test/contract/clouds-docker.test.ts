import { randomBytes, randomUUID } from 'node:crypto';
import { Client, utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerDriver, InstanceState, OwnerTag, type CloudDriver, type DockerConfig, type LaunchSpec } from '@hearth/clouds';
import { describeCloudDriver } from '@hearth/clouds/contract';
import { createLogger } from '@hearth/log';
import { analysisImage, docker, dockerSocketPath, removeByLabel } from '../helpers/docker-image.js';
import { waitFor } from '../helpers/wait-for.js';

// The docker driver against the real engine and the real analysis image. Docker cannot be
// made to fail on demand, so the suite's fault checks are skipped and reported as such.
// Everything a run makes carries its installation id (containers, tag volumes, the network)
// or the run label (foreign containers), and is removed by label at the end.

const log = createLogger({ service: 'contract', level: 'silent' });

/** Marks the foreign containers of one run; not an owner tag, so the driver must ignore them. */
const runLabel = 'hearth-test.run';

/** A docker cloud of its own for one installation: its network is named after it. */
function makeDriver(installation: string): CloudDriver {
  const config: DockerConfig = {
    driver: 'docker',
    name: 'docker-contract',
    region: 'local',
    socketPath: dockerSocketPath,
    network: `hearth-${installation}`,
    // finite, so the suite checks that a launch shows up in quota use
    limits: { instances: 100 },
  };
  return dockerDriver.create(config, { log, installation });
}

/** Launch specs of one installation: 1 cpu and 256 MB, so a dozen fit on a small CI host. */
function specMaker(installation: string, image: string, prefix: string): (overrides?: Partial<LaunchSpec>) => LaunchSpec {
  let sequence = 0;
  return (overrides = {}) => {
    sequence += 1;
    const machineId = `${prefix}-${installation}-${sequence}`;
    return {
      machineId,
      type: 'analysis-1',
      image,
      cpus: 1,
      memoryMb: 256,
      tags: { [OwnerTag.Installation]: installation, [OwnerTag.Machine]: machineId, [OwnerTag.Type]: 'analysis-1' },
      authorizedKeys: [utils.generateKeyPairSync('ed25519').public],
      ...overrides,
    };
  };
}

/** Removes everything of one installation (and its foreign containers), whatever the tests left. */
async function removeInstallation(installation: string): Promise<void> {
  await removeByLabel(`${runLabel}=${installation}`);
  await removeByLabel(`${OwnerTag.Installation}=${installation}`);
}

describeCloudDriver('docker', async () => {
  const image = await analysisImage();
  const installation = `contract-${randomUUID().slice(0, 8)}`;
  const driver = makeDriver(installation);
  return {
    driver,
    spec: specMaker(installation, image, 'm'),
    installation,
    waitBudgetMs: 30_000,
    unknownRef: { id: randomBytes(32).toString('hex') },
    // one container without any Hearth label and one of another installation, both running
    foreign: async () => {
      const owners = [{}, { [OwnerTag.Installation]: `other-${installation}` }];
      for (const labels of owners) {
        const container = await docker().createContainer({
          Image: image,
          Labels: { ...labels, [runLabel]: installation },
          HostConfig: { Init: true },
        });
        await container.start();
      }
    },
    cleanup: async () => {
      await driver.close();
      await removeInstallation(installation);
    },
  };
});

/** Runs `command` as root on `host` over SSH with `privateKey`; resolves with its stdout. */
function sshExec(host: string, privateKey: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', reject);
    client.on('ready', () => {
      client.exec(command, (err, stream) => {
        if (err) {
          client.end();
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        stream.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        stream.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        stream.on('close', (code: number | null) => {
          client.end();
          if (code === 0) resolve(stdout.trim());
          else reject(new Error(`"${command}" on ${host} exited with ${code}: ${stderr.trim()}`));
        });
      });
    });
    client.connect({ host, port: 22, username: 'root', privateKey, readyTimeout: 10_000 });
  });
}

describe('docker machine', () => {
  const installation = `ssh-${randomUUID().slice(0, 8)}`;
  let driver: CloudDriver;
  let spec: (overrides?: Partial<LaunchSpec>) => LaunchSpec;

  beforeAll(async () => {
    const image = await analysisImage();
    driver = makeDriver(installation);
    spec = specMaker(installation, image, 'ssh');
  }, 300_000);

  afterAll(async () => {
    await driver?.close();
    await removeInstallation(installation);
  });

  it('lets root log in over SSH with its launch key only, and has the everyday tools', { timeout: 120_000 }, async () => {
    // 1. launch with a fresh ed25519 key as the only authorized key
    const key = utils.generateKeyPairSync('ed25519');
    const ref = await driver.launch(spec({ authorizedKeys: [key.public] }));

    // 2. the engine waits, not the driver: poll describe until running with an address
    const running = await waitFor(
      async () => {
        const seen = await driver.describe(ref);
        return seen?.state === InstanceState.Running && seen.privateIp ? seen : undefined;
      },
      { what: `machine ${ref.id} running with a private address`, timeoutMs: 30_000, intervalMs: 100 },
    );
    const host = running.privateIp ?? '';

    // 3. log in as root (retrying while sshd starts) and run id -u
    const uid = await waitFor(() => sshExec(host, key.private, 'id -u'), {
      what: `root login on ${host}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(uid).toBe('0');

    // 4. the everyday tools are there (command -v fails the call if any is missing)
    const tools = ['sudo', 'python3', 'ps', 'less', 'curl', 'rsync', 'vim.tiny', 'tmux', 'git'];
    const found = await sshExec(host, key.private, `command -v ${tools.join(' ')} && test -s /etc/ssl/certs/ca-certificates.crt`);
    expect(found.split('\n')).toHaveLength(tools.length);

    // 5. a key the machine was not launched with is refused
    const stranger = utils.generateKeyPairSync('ed25519');
    await expect(sshExec(host, stranger.private, 'id -u')).rejects.toThrow(/authentication methods failed/i);

    // 6. terminate, and the machine is gone
    await driver.terminate(ref);
    expect(await driver.describe(ref)).toBeUndefined();
  });
});
