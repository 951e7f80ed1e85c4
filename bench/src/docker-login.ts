import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import ssh2 from 'ssh2';
import { connectBus, request, subjects, type Bus, type MachineRecord } from '@hearth/bus';
import { defaultSocketPath, ensureAnalysisImage, OwnerTag } from '@hearth/clouds';
import { environment, loadConfig } from '@hearth/config';
import { createLogger, LogLevels, type LogLevel } from '@hearth/log';
import { PoolManagerConfig, start, type RunningPoolManager } from '@hearth/pool-manager';
import { generateKeyPair, SshError, SshSession, type KeyPair } from '@hearth/ssh';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';
import { percentiles, report } from './stats.js';

/**
 * `docker-login`: request → the user's own SSH login works, on the real Docker driver with the
 * analysis image. The clock starts when `machines.allocate` is sent and stops when an ssh2
 * login as the user, with the key from the request, has run `true`; the SSH client lives in
 * this process, so no process start is counted. Two cases:
 * - warm: a ready machine is always waiting (minReady 6); between requests the pool is let
 *   back to exactly minReady ready machines and nothing else (not timed);
 * - cold: minReady 0, so each request queues while a container is launched, boots, is
 *   probed and personalized; between requests every machine of the type is let go.
 * The pool manager runs in-process with its production defaults (reconcile every 2 s,
 * launchConcurrency 4), on its own nats-server, installation and Docker network; every
 * container, volume and network labelled with the installation is removed at the end.
 * HEARTH_BENCH_LOG=debug shows the pool manager's log; HEARTH_BENCH_SET takes extra settings
 * for the pool manager, `key=value` separated by spaces, to compare against the defaults
 * (HEARTH_BENCH_SET='poolManager.reconcileIntervalMs=250ms').
 */

const machineType = 'analysis';
const cloudName = 'docker-bench';
const warmCase = { minReady: 6, max: 10, requests: 30 };
const coldCase = { max: 4, requests: 10 };

/** Bounds on every wait, so that a broken engine or pool ends the run with a reason. */
const limits = {
  dockerPingMs: 10_000,
  /** A first build of the image runs debootstrap: minutes. */
  imageMs: 20 * 60_000,
  natsMs: 30_000,
  startMs: 60_000,
  fillMs: 180_000,
  warmRequestMs: 30_000,
  /** The pool manager gives up queueing before the client gives up waiting. */
  coldQueueMs: 90_000,
  coldRequestMs: 100_000,
  loginMs: 30_000,
  releaseMs: 10_000,
  settleMs: 120_000,
  stopMs: 30_000,
  cleanupMs: 120_000,
  /** A case ends when this many requests in a row fail. */
  consecutiveFailures: 3,
};

type State = MachineRecord['state'];
type Counts = Record<State, number> & { total: number };

/** One request, timed: performance.now() spans, plus the record's own wall-clock stamps. */
interface Sample {
  user: string;
  warm: boolean;
  /** Request sent → allocation reply. */
  replyMs: number;
  /** Reply → the user's SSH login ran `true`. */
  loginMs: number;
  totalMs: number;
  /** Logins that failed before one worked. */
  loginRetries: number;
  sentAt: number;
  repliedAt: number;
  record: MachineRecord | undefined;
}

interface CaseResult {
  samples: Sample[];
  /** Replies that were warm in the cold case or cold in the warm case: measured, not in the figures. */
  unexpected: Sample[];
  errors: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `work`, or an error naming `what` after `ms`. The work itself is not cancelled. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`docker-login: ${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `done` until it holds; after `ms`, fails naming `what` and the state `describe` gives. */
async function waitUntil(what: string, ms: number, done: () => boolean, describe: () => string, intervalMs = 20): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`docker-login: ${what}: not reached within ${ms} ms (now ${describe()})`);
    await sleep(intervalMs);
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Key pairs generateKeyPair made that ssh2 could not read back, and that were made again. */
let discardedKeys = 0;

/**
 * generateKeyPair, made again until ssh2 reads both halves back. ssh2 1.17's ed25519 keygen
 * drops a leading zero byte of the public key, about one key in 256 (mscdex/ssh2#1390), and
 * such a key can never log in; counted, so that the figures stay about latency.
 */
function usableKeyPair(comment: string): KeyPair {
  for (let attempt = 0; attempt < 10; attempt++) {
    const pair = generateKeyPair(comment);
    if (!(ssh2.utils.parseKey(pair.privateKey) instanceof Error) && !(ssh2.utils.parseKey(pair.publicKey) instanceof Error)) return pair;
    discardedKeys++;
  }
  throw new Error('docker-login: generateKeyPair made 10 unreadable key pairs in a row');
}

function counts(pm: RunningPoolManager): Counts {
  const c: Counts = { launching: 0, booting: 0, ready: 0, allocated: 0, deleting: 0, failed: 0, total: 0 };
  for (const m of pm.engine.machines.all()) {
    if (m.type !== machineType) continue;
    c[m.state]++;
    c.total++;
  }
  return c;
}

const describeCounts = (pm: RunningPoolManager) => (): string =>
  Object.entries(counts(pm))
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ') || 'no machines';

/** Logs in as `user` with `privateKey` and runs `true`, retrying until it works or the deadline passes. */
async function login(host: string, port: number, user: string, privateKey: string): Promise<number> {
  const deadline = performance.now() + limits.loginMs;
  let retries = 0;
  for (;;) {
    try {
      const session = await SshSession.open({ host, port, username: user, privateKey }, 5_000);
      try {
        const result = await session.exec('true', { timeoutMs: 5_000 });
        if (result.code !== 0) throw new Error(`\`true\` exited ${result.code}: ${result.stderr.trim().slice(0, 200)}`);
        return retries;
      } finally {
        session.close();
      }
    } catch (err) {
      // only connecting and authenticating are worth another try; anything else will not change
      if (!(err instanceof SshError) || err.stage === 'exec') throw new Error(`docker-login: SSH login as ${user}@${host}:${port}: ${message(err)}`, { cause: err });
      if (performance.now() > deadline) throw new Error(`docker-login: no SSH login as ${user}@${host}:${port} within ${limits.loginMs} ms after ${retries + 1} tries; last: ${message(err)}`);
      retries++;
      await sleep(10);
    }
  }
}

/** One request → login, then the machine's release (not timed). */
async function measure(client: Bus, pm: RunningPoolManager, user: string, cold: boolean): Promise<Sample> {
  const key = usableKeyPair(`${user}@bench`);
  const body = { type: machineType, user, sshPublicKey: key.publicKey, waitMs: cold ? limits.coldQueueMs : limits.warmRequestMs };
  const sentAt = Date.now();
  const t0 = performance.now();
  const reply = await request(client, subjects.machines.allocate, body, { timeoutMs: cold ? limits.coldRequestMs : limits.warmRequestMs + 5_000 });
  const t1 = performance.now();
  const repliedAt = Date.now();
  const release = (): Promise<unknown> => request(client, subjects.machines.release, { machineId: reply.machineId, user }, { timeoutMs: limits.releaseMs });
  let loginRetries: number;
  try {
    loginRetries = await login(reply.connect.host, reply.connect.port, reply.connect.user, key.privateKey);
  } catch (err) {
    // the login failure is the news; a failed release shows up as a pool that does not settle
    await release().catch(() => undefined);
    throw err;
  }
  const t2 = performance.now();
  // read after the login, so the lookup is not timed; the stamps it carries do not change while allocated
  const record = pm.engine.machines.get(reply.machineId);
  await release();
  return { user, warm: reply.warm, replyMs: t1 - t0, loginMs: t2 - t1, totalMs: t2 - t0, loginRetries, sentAt, repliedAt, record };
}

/** Runs `requests` sequential measurements; `settle` (not timed) runs after each. */
async function runCase(name: string, requests: number, next: () => string, one: (user: string) => Promise<Sample>, settle: () => Promise<void>): Promise<{ samples: Sample[]; errors: string[] }> {
  const samples: Sample[] = [];
  const errors: string[] = [];
  let inARow = 0;
  for (let i = 0; i < requests; i++) {
    const user = next();
    try {
      samples.push(await one(user));
      inARow = 0;
    } catch (err) {
      errors.push(`${user}: ${message(err)}`);
      console.error(`docker-login ${name}: request ${i + 1} (${user}) failed: ${message(err)}`);
      if (++inARow >= limits.consecutiveFailures) throw new Error(`docker-login ${name}: ${inARow} requests in a row failed; last: ${message(err)}`);
    }
    await settle();
  }
  return { samples, errors };
}

function row(label: string, values: number[], extra: Record<string, string | number> = {}): Record<string, string | number> {
  const p = percentiles(values);
  const fixed = (n: number): number => +n.toFixed(1);
  return { case: label, count: values.length, 'p50 ms': fixed(p.p50), 'p99 ms': fixed(p.p99), 'max ms': fixed(p.max), ...extra };
}

/** Removes every container, then volume, then network carrying `label`; gone already is fine. */
async function removeByLabel(docker: Docker, label: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const filters = { label: [label] };
  const failures: unknown[] = [];
  const gone = (err: unknown): boolean => [404, 409].includes((err as { statusCode?: number } | null)?.statusCode ?? 0);
  const settle = async (jobs: Promise<unknown>[]): Promise<number> => {
    const results = await Promise.allSettled(jobs);
    for (const r of results) if (r.status === 'rejected' && !gone(r.reason)) failures.push(r.reason);
    return results.length;
  };
  const containers = await settle((await docker.listContainers({ all: true, filters })).map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  const volumes = await settle(((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => docker.getVolume(v.Name).remove()));
  const networks = await settle((await docker.listNetworks({ filters })).map((n) => docker.getNetwork(n.Id).remove()));
  if (failures.length > 0) throw new AggregateError(failures, `removing Docker objects labelled ${label}`);
  return { containers, volumes, networks };
}

export async function dockerLoginBench(): Promise<void> {
  const env = environment();
  const wantedLevel = env['HEARTH_BENCH_LOG'] ?? 'silent';
  const level: LogLevel = (LogLevels as readonly string[]).includes(wantedLevel) ? (wantedLevel as LogLevel) : 'silent';
  const log = createLogger({ service: 'bench', level });
  const extraSettings = (env['HEARTH_BENCH_SET'] ?? '').split(/\s+/).filter((item) => item !== '');
  const docker = new Docker({ socketPath: defaultSocketPath, timeout: 30_000 });
  try {
    await within(limits.dockerPingMs, 'pinging the Docker engine', docker.ping());
  } catch (err) {
    throw new Error(`docker-login needs the Docker engine at ${defaultSocketPath} (start it: dockerd > /tmp/dockerd.log 2>&1 &): ${message(err)}`, { cause: err });
  }
  const image = await within(limits.imageMs, 'making sure the analysis image exists', ensureAnalysisImage({ say: (step) => console.error(`docker-login: ${step}`) }));

  const suffix = randomBytes(4).toString('hex');
  const installation = `bench-${suffix}`;
  const label = `${OwnerTag.Installation}=${installation}`;
  let nats: TestNatsServer | undefined;
  let pm: RunningPoolManager | undefined;
  let client: Bus | undefined;
  let dataDir: string | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      const problems: string[] = [];
      const step = async (what: string, work: (() => Promise<unknown>) | undefined): Promise<void> => {
        if (!work) return;
        try {
          await within(limits.stopMs, what, work());
        } catch (err) {
          problems.push(`${what}: ${message(err)}`);
        }
      };
      await step('closing the client', client && (() => client?.close() ?? Promise.resolve()));
      await step('stopping the pool manager', pm && (() => pm?.stop() ?? Promise.resolve()));
      try {
        await within(limits.cleanupMs, `removing Docker objects labelled ${label}`, removeByLabel(docker, label));
      } catch (err) {
        problems.push(message(err));
      }
      await step('stopping nats-server', nats && (() => nats?.cleanup() ?? Promise.resolve()));
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      if (problems.length > 0) console.error(`docker-login: cleanup was incomplete (remove what is left with: docker rm -f $(docker ps -aq --filter label=${label})):\n  ${problems.join('\n  ')}`);
    })());
  // an interrupted run still removes its containers
  const interrupted = (): void => {
    console.error('docker-login: interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    nats = await within(limits.natsMs, 'starting nats-server', startNatsServer());
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-bench-docker-'));
    // the installation's key, written where the pool manager looks for it, so that a run never
    // draws one of ssh2's unreadable keys (usableKeyPair) and fails every readiness probe
    const installationKey = usableKeyPair(`hearth-${installation}`);
    await mkdir(join(dataDir, 'ssh'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'ssh', 'id_ed25519'), installationKey.privateKey, { mode: 0o600 });
    await writeFile(join(dataDir, 'ssh', 'id_ed25519.pub'), `${installationKey.publicKey}\n`, { mode: 0o644 });
    const config = loadConfig(PoolManagerConfig, {
      set: [
        `installation=${installation}`,
        `dataDir=${dataDir}`,
        `nats.url=${nats.url}`,
        'poolManager.metricsPort=0',
        `machineTypes[0].name=${machineType}`,
        'machineTypes[0].cpus=1',
        'machineTypes[0].memoryMb=512',
        `machineTypes[0].images.default=${image}`,
        'machineTypes[0].bootTimeoutMs=60s',
        `clouds[0].name=${cloudName}`,
        'clouds[0].driver=docker',
        'clouds[0].region=local',
        // a network of its own, labelled with the installation, so cleanup removes it too
        `clouds[0].network=hearth-bench-${suffix}`,
        `pools[0].type=${machineType}`,
        `pools[0].cloud=${cloudName}`,
        `pools[0].minReady=${warmCase.minReady}`,
        `pools[0].max=${warmCase.max}`,
        ...extraSettings,
      ],
    });
    const running = await within(limits.startMs, 'starting the pool manager', start({ config, log }));
    pm = running;
    client = await within(limits.natsMs, 'connecting the client', connectBus({ servers: nats.url, name: 'bench-docker-login', log }));
    const bus = client;
    const state = describeCounts(running);
    let users = 0;
    const nextUser = (): string => `user${++users}`;

    // warm: exactly minReady ready machines and nothing else in flight before each request
    const loadAtStart = loadavg()[0] ?? NaN;
    const f0 = performance.now();
    const warmSettled = (): boolean => {
      const c = counts(running);
      return c.ready === warmCase.minReady && c.total === warmCase.minReady;
    };
    await waitUntil(`filling the pool to ${warmCase.minReady} ready machines`, limits.fillMs, warmSettled, state, 100);
    const fillSeconds = (performance.now() - f0) / 1000;
    console.error(`docker-login: pool of ${warmCase.minReady} ready in ${fillSeconds.toFixed(1)} s; warm case, ${warmCase.requests} requests`);
    const warmRun = await runCase('warm', warmCase.requests, nextUser, (user) => measure(bus, running, user, false), () =>
      waitUntil(`the pool back to ${warmCase.minReady} ready machines and nothing else`, limits.settleMs, warmSettled, state),
    );
    const warm: CaseResult = { samples: warmRun.samples.filter((s) => s.warm), unexpected: warmRun.samples.filter((s) => !s.warm), errors: warmRun.errors };

    // cold: minReady 0, and no machine of the type left before each request
    await request(bus, subjects.pools.resize, { type: machineType, cloud: cloudName, minReady: 0, max: coldCase.max, by: 'bench' }, { timeoutMs: 10_000 });
    const empty = (): boolean => counts(running).total === 0;
    await waitUntil('the warm pool emptied after resizing to minReady 0', limits.settleMs, empty, state, 50);
    console.error(`docker-login: cold case, ${coldCase.requests} requests`);
    const coldRun = await runCase('cold', coldCase.requests, nextUser, (user) => measure(bus, running, user, true), () =>
      waitUntil('every machine of the type gone', limits.settleMs, empty, state),
    );
    const cold: CaseResult = { samples: coldRun.samples.filter((s) => !s.warm), unexpected: coldRun.samples.filter((s) => s.warm), errors: coldRun.errors };

    const retries = (samples: Sample[]): number => samples.reduce((n, s) => n + s.loginRetries, 0);
    report(`docker-login: request → the user's SSH login runs \`true\` (Docker, ${image}, ${extraSettings.length > 0 ? extraSettings.join(' ') : 'pool manager defaults'})`, [
      row('warm', warm.samples.map((s) => s.totalMs), { 'not warm': warm.unexpected.length, errors: warm.errors.length, 'login retries': retries(warm.samples) }),
      row('cold', cold.samples.map((s) => s.totalMs), { 'not cold': cold.unexpected.length, errors: cold.errors.length, 'login retries': retries(cold.samples) }),
    ]);

    // where the time goes: spans from performance.now(), and from the record's wall-clock stamps (1 ms resolution)
    const span = (samples: Sample[], from: (s: Sample) => number | undefined, to: (s: Sample) => number | undefined): number[] =>
      samples.flatMap((s) => {
        const a = from(s);
        const b = to(s);
        return a === undefined || b === undefined ? [] : [b - a];
      });
    const ws = warm.samples;
    const cs = cold.samples;
    report(`docker-login: where the time goes (warm pool of ${warmCase.minReady} filled in ${fillSeconds.toFixed(1)} s; host load ${loadAtStart.toFixed(1)} → ${(loadavg()[0] ?? NaN).toFixed(1)} on ${availableParallelism()} CPUs)`, [
      row('warm: request → allocation reply', ws.map((s) => s.replyMs)),
      row('warm:   request → machine claimed (CAS)', span(ws, (s) => s.sentAt, (s) => s.record?.allocatedAt)),
      row('warm:   claimed → reply (personalize over SSH)', span(ws, (s) => s.record?.allocatedAt, (s) => s.repliedAt)),
      row('warm: reply → user SSH login works', ws.map((s) => s.loginMs)),
      row('cold: request → allocation reply', cs.map((s) => s.replyMs)),
      row('cold:   request → launch begins (record made)', span(cs, (s) => s.sentAt, (s) => s.record?.createdAt)),
      row('cold:   launch (container create + start)', span(cs, (s) => s.record?.createdAt, (s) => s.record?.launchedAt)),
      row('cold:   started → ready (boot, watch, root probe)', span(cs, (s) => s.record?.launchedAt, (s) => s.record?.readyAt)),
      row('cold:   ready → claimed (queue wake)', span(cs, (s) => s.record?.readyAt, (s) => s.record?.allocatedAt)),
      row('cold:   claimed → reply (personalize over SSH)', span(cs, (s) => s.record?.allocatedAt, (s) => s.repliedAt)),
      row('cold: reply → user SSH login works', cs.map((s) => s.loginMs)),
    ]);
    if (discardedKeys > 0) console.error(`docker-login: ${discardedKeys} key pair(s) from generateKeyPair were unreadable by ssh2 and made again (mscdex/ssh2#1390)`);
    for (const e of [...warm.errors.map((e) => `warm ${e}`), ...cold.errors.map((e) => `cold ${e}`)]) console.error(`docker-login: failed request: ${e}`);
  } finally {
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
