import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onMachineEvents, request, subjects, type MachineEvent, type MachineRecord } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { generateKeyPair, SshSession } from '@hearth/ssh';
import { analysisImage, docker, removeByLabel } from '../helpers/docker-image.js';
import { startNatsServer, type TestNatsServer } from '../helpers/nats.js';
import { machineType, pool, startPoolManager, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

// The pool manager on the real Docker engine: containers from the analysis image with real
// sshd, personalized over SSH, logged into with the user's own key.
let nats: TestNatsServer;
let pm: TestPoolManager;
const events: MachineEvent[] = [];
const ada = generateKeyPair('ada@laptop');

beforeAll(async () => {
  nats = await startNatsServer();
  const image = await analysisImage();
  pm = await startPoolManager(nats.url, [
    ...machineType(0, 'analysis', [`images.default=${image}`, 'sudo=true', 'idleLimitMs=4s', 'bootTimeoutMs=60s']),
    'clouds[0].name=docker-test',
    'clouds[0].driver=docker',
    'clouds[0].region=local',
    'clouds[0].network=hearth-test',
    ...pool(0, 'analysis', 'docker-test', 1, 4),
    'poolManager.activityProbeIntervalMs=500',
    'poolManager.reclaimGraceMs=1s',
  ]);
  onMachineEvents(pm.bus, (event) => events.push(event));
}, 600_000);

afterAll(async () => {
  await pm?.cleanup();
  if (pm) await removeByLabel(`${OwnerTag.Installation}=${pm.installation}`);
  await nats?.cleanup();
});

const machines = async (filter: { state?: MachineRecord['state']; user?: string } = {}): Promise<MachineRecord[]> =>
  (await request(pm.bus, subjects.machines.list, { type: 'analysis', ...filter })).machines;

async function containerGone(id: string): Promise<boolean> {
  try {
    const info = await docker().getContainer(id).inspect();
    return info.State.Status === 'removing';
  } catch {
    return true;
  }
}

describe('pool manager on the Docker engine', () => {
  it('warms the pool with machines whose sshd answers', async () => {
    await waitFor(async () => (await machines({ state: 'ready' })).length === 1, { what: 'one ready machine', timeoutMs: 60_000, intervalMs: 200 });
  });

  it('hands out a machine the user logs into with their own key, with sudo, and launches its replacement', async () => {
    const reply = await request(pm.bus, subjects.machines.allocate, { type: 'analysis', user: 'ada', sshPublicKey: ada.publicKey }, { timeoutMs: 60_000 });
    expect(reply).toMatchObject({ warm: true, connect: { user: 'ada', port: 22 } });
    const session = await SshSession.open({ host: reply.connect.host, port: reply.connect.port, username: 'ada', privateKey: ada.privateKey });
    try {
      expect((await session.exec('id -un')).stdout.trim()).toBe('ada');
      expect((await session.exec('sudo -n id -u')).stdout.trim()).toBe('0');
    } finally {
      session.close();
    }
    await waitFor(async () => (await machines({ state: 'ready' })).length === 1, { what: 'replacement ready', timeoutMs: 60_000, intervalMs: 200 });
  });

  it('refuses another user\'s key on that machine', async () => {
    const [mine] = await machines({ user: 'ada' });
    const mallory = generateKeyPair('mallory');
    await expect(SshSession.open({ host: mine?.privateIp ?? '', username: 'ada', privateKey: mallory.privateKey })).rejects.toThrow(/authentication/i);
  });

  it('warns, then reclaims a machine left idle past its limit', async () => {
    const [mine] = await machines({ user: 'ada' });
    await waitFor(() => events.some((e) => e.kind === 'reclaim-warning' && e.machineId === mine?.id), { what: 'reclaim warning', timeoutMs: 30_000 });
    await waitFor(() => events.some((e) => e.kind === 'reclaimed' && e.machineId === mine?.id), { what: 'machine reclaimed', timeoutMs: 30_000 });
    await waitFor(() => containerGone(mine?.cloudRef ?? ''), { what: 'reclaimed container removed', timeoutMs: 30_000 });
  }, 120_000);

  it('deletes a released machine\'s container', async () => {
    const grace = generateKeyPair('grace');
    const reply = await request(pm.bus, subjects.machines.allocate, { type: 'analysis', user: 'grace', sshPublicKey: grace.publicKey }, { timeoutMs: 60_000 });
    const [record] = await machines({ user: 'grace' });
    await request(pm.bus, subjects.machines.release, { machineId: reply.machineId, user: 'grace' });
    await waitFor(() => containerGone(record?.cloudRef ?? ''), { what: 'released container removed', timeoutMs: 30_000 });
  });

  it('deletes a leaked container that carries this installation\'s tag but has no record', async () => {
    const cloud = pm.running.engine.clouds.get('docker-test');
    const image = await analysisImage();
    const ref = await cloud?.driver.launch({
      machineId: 'm-leak',
      type: 'analysis',
      image,
      cpus: 1,
      memoryMb: 256,
      network: 'hearth-test',
      tags: { [OwnerTag.Installation]: pm.installation, [OwnerTag.Machine]: 'm-leak', [OwnerTag.Type]: 'analysis' },
      authorizedKeys: [],
    });
    await waitFor(() => containerGone(ref?.id ?? ''), { what: 'leaked container deleted', timeoutMs: 30_000 });
  });
});
