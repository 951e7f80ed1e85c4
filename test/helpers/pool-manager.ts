import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, type Bus, type UsageEvent } from '@hearth/bus';
import { loadConfig } from '@hearth/config';
import { createLogger, type Logger } from '@hearth/log';
import { PoolManagerConfig, start, type RunningPoolManager } from '@hearth/pool-manager';
import { generateKeyPair } from '@hearth/ssh';

/** A pool manager started in-process against a test nats-server, with a unique installation id. */
export interface TestPoolManager {
  running: RunningPoolManager;
  bus: Bus;
  installation: string;
  dataDir: string;
  /** Stops the running pool manager and starts a new one on the same config and data. */
  restart(): Promise<void>;
  /** Starts another replica of this installation in this process (same config, key and sim accounts); it stands by while this one leads. */
  replica(): Promise<TestPoolManager>;
  cleanup(): Promise<void>;
}

/** A valid public key for requests. */
export const userKey = generateKeyPair('ada@laptop').publicKey;

/**
 * Starts the pool manager with `set` overrides on top of test defaults (fast reconcile,
 * metrics on a free port). Pass clouds, types and pools through `set`.
 */
export async function startPoolManager(natsUrl: string, set: string[], opts: { log?: Logger; installation?: string } = {}): Promise<TestPoolManager> {
  const installation = opts.installation ?? `t${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-pm-'));
  const config = loadConfig(PoolManagerConfig, {
    set: [
      `installation=${installation}`,
      `dataDir=${dataDir}`,
      `nats.url=${natsUrl}`,
      'poolManager.metricsPort=0',
      'poolManager.reconcileIntervalMs=100',
      'poolManager.leakSweepIntervalMs=200',
      ...set,
    ],
  });
  const log = opts.log ?? createLogger({ service: 'pool-manager', level: process.env['HEARTH_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const running = await start({ config, log });
  return handleOf(running, { natsUrl, installation, dataDir, log, start: () => start({ config, log }), removeData: true });
}

async function handleOf(
  running: RunningPoolManager,
  opts: { natsUrl: string; installation: string; dataDir: string; log: Logger; start: () => Promise<RunningPoolManager>; removeData: boolean },
): Promise<TestPoolManager> {
  const bus = await connectBus({ servers: opts.natsUrl, name: 'pool-manager-test', log: opts.log });
  const handle: TestPoolManager = {
    running,
    bus,
    installation: opts.installation,
    dataDir: opts.dataDir,
    async restart() {
      await handle.running.stop();
      handle.running = await opts.start();
    },
    async replica() {
      return handleOf(await opts.start(), { ...opts, removeData: false });
    },
    async cleanup() {
      await handle.running.stop();
      await bus.close();
      if (opts.removeData) await rm(opts.dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Settings for one sim cloud `name` with a fast fixed boot time. */
export function simCloud(index: number, name: string, extra: string[] = []): string[] {
  const at = `clouds[${index}]`;
  return [
    `${at}.name=${name}`,
    `${at}.driver=sim`,
    `${at}.region=local`,
    `${at}.bootTimeMs.distribution=fixed`,
    `${at}.bootTimeMs.meanMs=30`,
    `${at}.images[0]=debian`,
    ...extra.map((e) => `${at}.${e}`),
  ];
}

/** One machine type `name` with the `debian` image everywhere. */
export function machineType(index: number, name: string, extra: string[] = []): string[] {
  const at = `machineTypes[${index}]`;
  return [`${at}.name=${name}`, `${at}.cpus=1`, `${at}.memoryMb=512`, `${at}.images.default=debian`, ...extra.map((e) => `${at}.${e}`)];
}

export function pool(index: number, type: string, cloud: string, minReady: number, max: number, extra: string[] = []): string[] {
  const at = `pools[${index}]`;
  return [`${at}.type=${type}`, `${at}.cloud=${cloud}`, `${at}.minReady=${minReady}`, `${at}.max=${max}`, ...extra.map((e) => `${at}.${e}`)];
}

/** Every usage record this pool manager's installation wrote, in order (a message holds one record, or several when batched). */
export async function usageRecords(pm: TestPoolManager): Promise<UsageEvent[]> {
  const jsm = await pm.bus.jsm();
  const info = await jsm.streams.info('USAGE');
  const events: UsageEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage('USAGE', { seq }).catch(() => undefined);
    if (!msg) continue;
    const body = msg.json<UsageEvent | UsageEvent[]>();
    events.push(...(Array.isArray(body) ? body : [body]));
  }
  return events.filter((e) => e.installation === pm.installation);
}
