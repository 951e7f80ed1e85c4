import { afterAll, beforeAll } from 'vitest';
import { OwnerTag } from '@hearth/clouds';
import { analysisImage, containerGone, removeByLabel } from '../helpers/docker-image.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { machineType, pool, startPoolManager, type TestPoolManager } from '../helpers/pool-manager.js';
import { describePoolManagerScenarios } from './pool-manager-scenarios.js';

// The pool manager on the real Docker engine: containers from the analysis image with real
// sshd, personalized over SSH, logged into with the user's own key. The scenarios are shared
// with pool-manager-multicloud.test.ts, which runs them over three clouds.
let nats: TestNatsServer;
let pm: TestPoolManager;
let image: string;

beforeAll(async () => {
  nats = await startNatsServer();
  image = await analysisImage();
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
}, 600_000);

afterAll(async () => {
  await pm?.cleanup();
  if (pm) await removeByLabel(`${OwnerTag.Installation}=${pm.installation}`);
  await nats?.cleanup();
});

describePoolManagerScenarios('pool manager on the Docker engine', { type: 'analysis', clouds: [{ name: 'docker-test', region: 'local' }], waitMs: 60_000 }, () => ({
  pm,
  leakSpec: async () => ({ image, network: 'hearth-test' }),
  instanceGone: (_cloud, id) => containerGone(id),
}));
