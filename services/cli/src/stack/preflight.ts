import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatIssue, type ConfigIssue } from '@hearth/config';
import type { CliConfig } from '../config.js';
import { run } from '../system/run.js';
import { serviceCatalogue } from './services.js';

/** A problem found before anything starts; `exitCode` 2 for configuration, 1 otherwise. */
export class PreflightError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'PreflightError';
  }
}

/** Creates the data directory and proves it writable. */
export function checkDataDir(dataDir: string): void {
  try {
    makeDirectories(dataDir);
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PreflightError(`data directory ${dataDir} is not writable (${code}); choose another with --data-dir or dataDir in hearth.yaml`, 1);
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir never returns for some paths
 * (under /proc, for one), and a hang is the worst answer to a bad --data-dir.
 */
function makeDirectories(path: string): void {
  const missing: string[] = [];
  let current = resolve(path);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing) mkdirSync(dir);
}

/** Every port the stack will listen on must be free now; names the setting to change. */
export async function checkPorts(ports: { port: number; host: string; setting: string }[]): Promise<void> {
  for (const { port, host, setting } of ports) {
    if (port === 0) continue;
    const free = await new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, host, () => server.close(() => done(true)));
    });
    if (!free) throw new PreflightError(`port ${port} on ${host} is already in use; set ${setting} in hearth.yaml or stop what holds it`, 1);
  }
}

/** The ports the stack listens on, with the setting that controls each. */
export function stackPorts(config: CliConfig): { port: number; host: string; setting: string }[] {
  const server = config.nats.server;
  const ports: { port: number; host: string; setting: string }[] = [];
  // an external NATS (nats.url) needs no local ports
  if (!config.nats.url) {
    ports.push({ port: server.port, host: server.host, setting: 'nats.server.port' });
    if (server.monitorPort > 0) ports.push({ port: server.monitorPort, host: server.host, setting: 'nats.server.monitorPort' });
  }
  const gateway = (config as { gateway?: { port?: number; host?: string } }).gateway;
  ports.push({ port: gateway?.port ?? 8080, host: gateway?.host ?? '127.0.0.1', setting: 'gateway.port' });
  const poolManager = (config as { poolManager?: { metricsPort?: number; metricsHost?: string } }).poolManager;
  ports.push({ port: poolManager?.metricsPort ?? 9471, host: poolManager?.metricsHost ?? '127.0.0.1', setting: 'poolManager.metricsPort' });
  return ports;
}

/**
 * Runs every service with `--check-config`, so a bad section stops `up` before anything
 * starts; collects every service's complaints into one error (exit code 2).
 */
export async function checkServiceConfigs(configPath: string | undefined, set: readonly string[]): Promise<void> {
  const args = [...(configPath ? ['--config', configPath] : []), ...set.flatMap((s) => ['--set', s]), '--check-config'];
  const results = await Promise.all(serviceCatalogue.map((spec) => run(process.execPath, [spec.entry, ...args])));
  const problems = results
    .map((r, i) => ({ r, name: serviceCatalogue[i]?.name ?? '?' }))
    .filter(({ r }) => r.code !== 0)
    .map(({ r, name }) => (r.code === 2 ? r.stderr.trim().split('\n').slice(1).join('\n') : `${name}: ${r.stderr.trim()}`));
  if (problems.length > 0) throw new PreflightError(`invalid configuration\n${[...new Set(problems)].join('\n')}`, 2);
}

export function configIssuesText(issues: readonly ConfigIssue[]): string {
  return `invalid configuration\n${issues.map(formatIssue).join('\n')}`;
}

/** Resolves a path from the command line against the current directory. */
export function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
