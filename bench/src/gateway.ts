import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateKeyPair } from '@hearth/ssh';
import { freePort, startNatsServer } from '@hearth/testkit';
import { startService, type ServiceProcess } from './service-process.js';
import { pacedLoad } from './paced-load.js';
import { report } from './stats.js';

/**
 * `gateway`: a warm request → answer over HTTP. nats-server, the pool manager (one sim cloud
 * whose machines boot at once, a pool holding `poolSize` ready machines) and the gateway run
 * as their own processes, as in production; this process only generates load, with
 * autocannon: 200 connections, each with a Bearer token of one of 50 users, each sending
 * POST /api/v1/machines {type, sshPublicKey}. The pool's max equals its min ready, so nothing
 * is launched while the load runs: a 201 is a warm machine, a 202 a queued (cold) request,
 * and both are counted. Personalization is excluded (the sim cloud personalizes instantly);
 * on real machines it is the `docker-login` benchmark's figure, reported beside this one.
 *
 * Two kinds of measurement, one stack:
 * - closed loop: 200 connections, each sending its next request as soon as the last is
 *   answered, from autocannon and then from the lean generator (paced-load.ts). This is
 *   saturation throughput (the higher of the two); its latency is just 200 ÷ throughput.
 * - open loop: 200 connections offering a fixed rate with evenly spaced arrivals, at 25%,
 *   50% and 80% of saturation, latency counted from when each request was
 *   due (so a stall is not hidden by requests sent late): the latency 200 clients see when
 *   the stack is not saturated, and how it grows with load. (autocannon's own rate limit
 *   releases each second's quota in one burst, which measures a burst instead.)
 *
 * Environment: HEARTH_BENCH_GATEWAY_DIST runs another build of the gateway (a directory under
 * services/gateway, e.g. a copy of an older `dist`, for before/after figures);
 * HEARTH_BENCH_CPU_PROF=DIR writes the V8 CPU profiles of the gateway and the pool manager to DIR/gateway and DIR/pool-manager.
 */

const connections = 200;
/** Scientists sending the load; connection i sends as user i mod users (each password costs a scrypt hash to set up). */
const users = 50;
/** Measured requests of the closed loop, and of each open-loop rate. */
const requests = Number(process.env["HEARTH_BENCH_GATEWAY_REQUESTS"] ?? 400);
const warmup = connections;
/** Pause before each open-loop row. */
const settleMs = 3_000;
/** Offered rates of the open loop, as fractions of the closed loop's throughput. */
const openLoopShares = [0.25, 0.5, 0.8];
// a machine for every request and one spare per connection, so every measured request is warm
const poolSize = warmup + requests * (2 + openLoopShares.length) + connections;
const type = 'analysis';
const key = generateKeyPair('bench@gateway').publicKey;
const adminPassword = `bench-${randomBytes(12).toString('hex')}`;

interface Stack {
  url: string;
  services: ServiceProcess[];
  stop(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const nats = await startNatsServer();
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-gw-'));
  const port = await freePort();
  const common = [`installation=b${randomBytes(3).toString('hex')}`, `dataDir=${dir}`, `nats.url=${nats.url}`];
  const profileDir = process.env['HEARTH_BENCH_CPU_PROF'];
  const poolManager = startService('pool-manager', [
    ...common,
    'log.level=warn',
    'poolManager.metricsPort=0',
    'poolManager.launchConcurrency=256',
    // the sim cloud answers in memory: its API rate limit would only slow the fill
    'poolManager.cloudDefaults.apiRatePerSecond=1000000',
    'poolManager.cloudDefaults.apiBurst=1000000',
    `machineTypes[0].name=${type}`,
    'machineTypes[0].cpus=1',
    'machineTypes[0].memoryMb=512',
    'machineTypes[0].images.default=debian',
    'clouds[0].name=bench-sim',
    'clouds[0].driver=sim',
    'clouds[0].region=local',
    'clouds[0].bootTimeMs.distribution=fixed',
    'clouds[0].bootTimeMs.meanMs=0',
    'clouds[0].images[0]=debian',
    `pools[0].type=${type}`,
    'pools[0].cloud=bench-sim',
    `pools[0].minReady=${poolSize}`,
    `pools[0].max=${poolSize}`,
  ], profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}/pool-manager`] } : {});
  const gateway = startService('gateway', [
    ...common,
    // the gateway logs at its default level (info), as in production
    `gateway.port=${port}`,
    // the bench is one address and 200 tokens; the per-credential limit would answer 429 instead of measuring
    'gateway.rateLimits.requests.max=1000000',
    'gateway.rateLimits.login.max=100000',
  ], {
    env: { HEARTH_ADMIN_PASSWORD: adminPassword },
    ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}/gateway`] } : {}),
    ...(process.env['HEARTH_BENCH_GATEWAY_DIST'] ? { dist: process.env['HEARTH_BENCH_GATEWAY_DIST'] } : {}),
  });
  const services = [poolManager, gateway];
  const stop = async (): Promise<void> => {
    await gateway.stop();
    await poolManager.stop();
    await nats.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, services, stop };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `fn` until it returns something, or an error naming `what` and the services' output. */
async function waitFor<T>(what: string, ms: number, stack: Stack, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const logs = stack.services.map((s) => `--- ${s.name}\n${s.output()}`).join('\n');
      throw new Error(`gateway bench: ${what}: not within ${ms} ms${last ? ` (last: ${String(last)})` : ''}\n${logs}`);
    }
    await sleep(1_000);
  }
}

async function api<T>(url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `users` scientists, each with a personal token. */
async function userTokens(url: string, adminToken: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < users; i++) {
    const name = `bench${i}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    await api(url, 'POST', '/users', adminToken, { name, password, role: 'scientist' });
    tokens.push((await api<{ token: string }>(url, 'POST', '/auth/tokens', undefined, { user: name, password, name: 'bench' })).token);
  }
  return tokens;
}

/** A closed loop with autocannon; every connection sends as its own user. */
function load(url: string, tokens: string[], amount: number): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url: `${url}/api/v1/machines`,
    method: 'POST',
    connections,
    amount,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type, sshPublicKey: key }),
    setupClient: (client) => {
      client.setHeaders({ 'content-type': 'application/json', authorization: `Bearer ${tokens[next++ % tokens.length]}` });
    },
  });
}

/** The open loop (see paced-load.ts): `rate` requests a second, evenly spaced, over the 200 connections, each as its own user. */
async function paced(url: string, tokens: string[], amount: number, rate: number, share: number | 'closed'): Promise<Record<string, string | number>> {
  const target = new URL(`${url}/api/v1/machines`);
  const body = JSON.stringify({ type, sshPublicKey: key });
  const request = (connection: number): Buffer =>
    Buffer.from(
      `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `authorization: Bearer ${tokens[connection % tokens.length] ?? ''}\r\n\r\n${body}`,
    );
  const { statuses, latency: p, seconds, timeline } = await pacedLoad({ host: target.hostname, port: Number(target.port), request, connections, amount, rate });
  // beside the services' logs (and CPU profiles), for finding what held up the slow requests
  const logDir = process.env['HEARTH_BENCH_LOG_DIR'];
  if (logDir) await writeFile(join(logDir, `paced-${share === 'closed' ? share : Math.round(share * 100)}.json`), JSON.stringify(timeline));
  const other = [...statuses].filter(([status]) => status !== 201 && status !== 202).reduce((sum, [, n]) => sum + n, 0);
  return {
    case:
      share === 'closed'
        ? `closed loop, ${connections} clients, lean generator (saturation; latency = ${connections} ÷ throughput)`
        : `open loop, ${connections} clients, evenly spaced, ${Math.round(share * 100)}% of saturation`,
    'offered req/s': share === 'closed' ? 'as fast as answered' : rate,
    requests: amount,
    'warm 201': statuses.get(201) ?? 0,
    'queued 202': statuses.get(202) ?? 0,
    'other/errors': other,
    'p50 ms': +p.p50.toFixed(1),
    'p90 ms': +p.p90.toFixed(1),
    'p99 ms': +p.p99.toFixed(1),
    'max ms': +p.max.toFixed(1),
    'req/s': Math.round(amount / seconds),
  };
}

/** Answers by status: 201 is a warm machine served at once, 202 a queued (cold) request. */
function statusCount(result: autocannon.Result, status: number): number {
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats;
  return stats?.[String(status)]?.count ?? 0;
}

function row(name: string, result: autocannon.Result, offered: number | string): Record<string, string | number> {
  return {
    case: name,
    'offered req/s': offered,
    requests: result.requests.total,
    'warm 201': statusCount(result, 201),
    'queued 202': statusCount(result, 202),
    'other/errors': result.non2xx + result.errors + result.timeouts,
    'p50 ms': result.latency.p50,
    'p90 ms': result.latency.p90,
    'p99 ms': result.latency.p99,
    'max ms': result.latency.max,
    // answers over the run's length: autocannon's per-second average counts a partial last second as a whole one
    'req/s': Math.round(result.requests.total / (result.duration || 1)),
  };
}

export async function gatewayBench(): Promise<void> {
  const stack = await startStack();
  try {
    const { url } = stack;
    await waitFor('gateway answering /healthz', 60_000, stack, async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined));
    const admin = await api<{ token: string }>(url, 'POST', '/auth/tokens', undefined, { user: 'admin', password: adminPassword, name: 'bench' });
    const tokens = await userTokens(url, admin.token);
    const t0 = performance.now();
    await waitFor(`${poolSize} warm machines`, 300_000, stack, async () => {
      const { types } = await api<{ types: { name: string; ready: number }[] }>(url, 'GET', '/machine-types', admin.token);
      const ready = types.find((t) => t.name === type)?.ready ?? 0;
      console.error(`gateway bench: ${ready} of ${poolSize} machines ready`);
      return ready >= poolSize ? true : undefined;
    });
    const fillSeconds = (performance.now() - t0) / 1000;
    await load(url, tokens, warmup);
    const load1 = loadavg()[0] ?? 0;
    const closed = await load(url, tokens, requests);
    const rows = [row(`closed loop, ${connections} clients, autocannon (saturation; latency = ${connections} ÷ throughput)`, closed, 'as fast as answered')];
    // the same closed loop from the lean generator: autocannon's own CPU, on the two cores the
    // stack runs on, holds the stack below its saturation (by half, in some runs)
    await sleep(settleMs);
    const lean = await paced(url, tokens, requests, Infinity, 'closed');
    rows.push(lean);
    const saturation = Math.max(closed.requests.total / (closed.duration || 1), Number(lean['req/s']));
    for (const share of openLoopShares) {
      // each row starts from a quiet stack, not in the wake of the row before
      await sleep(settleMs);
      rows.push(await paced(url, tokens, requests, Math.max(1, Math.round(saturation * share)), share));
    }
    const { types } = await api<{ types: { name: string; ready: number }[] }>(url, 'GET', '/machine-types', admin.token);
    const left = types.find((t) => t.name === type)?.ready ?? 0;
    report(
      `gateway: POST /api/v1/machines, warm pool, ${connections} connections, sim cloud (pool of ${poolSize} filled in ${fillSeconds.toFixed(1)} s, ${left} still ready after; load average ${load1.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after)`,
      rows,
    );
    console.log('personalization excluded (the sim cloud personalizes instantly); it is measured on Docker by: npm run bench -- docker-login ("claimed → reply (personalize over SSH)")');
  } finally {
    await stack.stop();
  }
}
