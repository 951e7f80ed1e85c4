import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { busOptionsFrom, checkHealth, connectBus, ensureStorage, type Bus } from '@hearth/bus';
import { natsUrls, serviceNodeArgs } from '@hearth/config';
import type { Logger } from '@hearth/log';
import type { CliConfig } from '../config.js';
import { renderNatsConfig } from './nats-config.js';
import type { StackPaths } from './paths.js';
import { serviceCatalogue, type ServiceSpec } from './services.js';
import { writeState, type StackState } from './state.js';
import { SupervisedChild } from './supervised-child.js';

export interface SupervisorOptions {
  config: CliConfig;
  /** Passed on to every service so they read the same settings. */
  configPath?: string;
  set: readonly string[];
  paths: StackPaths;
  /** The nats-server to run; undefined when joining an external NATS (nats.url). */
  nats: { path: string; version: string } | undefined;
  warnings: string[];
  log: Logger;
  /** How long services may take to report healthy. */
  readyTimeoutMs?: number;
}

/** Why the stack could not start; `logTail` is the end of the failing process's log. */
export class StackStartError extends Error {
  constructor(
    message: string,
    readonly logTail?: string,
  ) {
    super(message);
    this.name = 'StackStartError';
  }
}

/**
 * Runs the one-machine stack: nats-server, the storage it needs, and every service as a
 * supervised child; keeps the state file current for `status`, `down` and `up --detach`.
 */
export class Supervisor {
  readonly nats: SupervisedChild;
  readonly services: SupervisedChild[];
  readonly state: StackState;
  private bus: Bus | undefined;
  private monitor: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    const { paths, log, config } = opts;
    mkdirSync(paths.runDir, { recursive: true });
    mkdirSync(paths.logDir, { recursive: true });
    mkdirSync(paths.natsStoreDir, { recursive: true });
    const onChange = (): void => this.save();
    this.nats = new SupervisedChild({
      name: 'nats-server',
      command: opts.nats?.path ?? 'nats-server',
      args: ['-c', paths.natsConfig],
      logFile: paths.logFile('nats-server'),
      log,
      onChange,
    });
    this.services = serviceCatalogue.map(
      (spec) =>
        new SupervisedChild({
          name: spec.name,
          command: process.execPath,
          args: [...serviceNodeArgs, '--enable-source-maps', spec.entry, ...this.serviceArgs()],
          logFile: paths.logFile(spec.name),
          log,
          onChange,
        }),
    );
    const server = config.nats.server;
    this.state = {
      supervisorPid: process.pid,
      phase: 'starting',
      step: 'starting',
      startedAt: new Date().toISOString(),
      dataDir: paths.dataDir,
      installation: config.installation,
      nats: {
        url: natsUrls(config.nats)[0] ?? '',
        external: opts.nats === undefined,
        ...(server.monitorPort > 0 && opts.nats ? { monitorUrl: `http://${server.host}:${server.monitorPort}` } : {}),
        version: opts.nats?.version ?? 'external',
        storeDir: paths.natsStoreDir,
        process: this.nats.status,
      },
      services: this.services.map((s) => s.status),
      warnings: opts.warnings,
    };
  }

  /**
   * Starts everything in order and resolves once every service reports healthy.
   * @throws StackStartError after stopping whatever it had started
   */
  async start(): Promise<void> {
    try {
      await this.startNats();
      this.step('creating streams and buckets');
      await ensureStorage(this.requireBus(), { replicas: this.opts.config.nats.replicas });
      for (const child of this.services) {
        this.step(`starting ${child.spec.name}`);
        child.start();
      }
      await this.waitHealthy(serviceCatalogue);
      this.state.phase = 'running';
      this.step('running');
      this.monitor = setInterval(() => void this.refresh().catch(() => undefined), 1_000);
    } catch (err) {
      this.state.phase = 'failed';
      this.state.error = (err as Error).message;
      this.save();
      await this.stop(true);
      throw err;
    }
  }

  /** Stops services (in reverse order), then nats-server; idempotent. */
  async stop(failed = false): Promise<void> {
    clearInterval(this.monitor);
    if (!failed) this.state.phase = 'stopping';
    this.step('stopping');
    for (const child of [...this.services].reverse()) await child.stop();
    await this.bus?.close().catch(() => undefined);
    this.bus = undefined;
    await this.nats.stop();
  }

  private async startNats(): Promise<void> {
    const { config, paths } = this.opts;
    if (!this.opts.nats) {
      this.step(`connecting to NATS at ${natsUrls(config.nats).join(', ')}`);
      try {
        this.bus = await connectBus({ ...busOptionsFrom(config.nats, 'hearth-supervisor', this.opts.log), waitOnFirstConnect: false });
      } catch (err) {
        throw new StackStartError(`cannot reach NATS at ${natsUrls(config.nats).join(', ')} (nats.url): ${(err as Error).message}`);
      }
      return;
    }
    this.step('starting nats-server');
    writeFileSync(paths.natsConfig, renderNatsConfig({ installation: config.installation, nats: config.nats, storeDir: paths.natsStoreDir }));
    this.nats.start();
    const exited = this.nats.nextExit().then((how) => {
      throw new StackStartError(`nats-server exited (${how}) while starting`);
    });
    const connected = connectBus({ ...busOptionsFrom(config.nats, 'hearth-supervisor', this.opts.log), waitOnFirstConnect: true });
    try {
      this.bus = await Promise.race([connected, exited, timeout(15_000, 'nats-server did not accept connections within 15 s')]);
    } catch (err) {
      void connected.then((bus) => bus.close()).catch(() => undefined);
      throw new StackStartError((err as Error).message, await tail(paths.logFile('nats-server')));
    }
    this.nats.markRunning();
  }

  private async waitHealthy(expected: readonly ServiceSpec[]): Promise<void> {
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 60_000);
    for (;;) {
      const down = await this.refresh();
      const crashed = this.services.find((c) => c.status.restarts > 0);
      if (crashed) {
        throw new StackStartError(
          `${crashed.spec.name} exited (${crashed.status.lastExit ?? 'unknown'}) while starting`,
          await tail(this.opts.paths.logFile(crashed.spec.name)),
        );
      }
      if (down.length === 0) return;
      if (Date.now() > deadline) {
        const first = expected.find((s) => s.name === down[0]);
        throw new StackStartError(
          `not healthy after ${Math.round((this.opts.readyTimeoutMs ?? 60_000) / 1000)} s: ${down.join(', ')}`,
          first ? await tail(this.opts.paths.logFile(first.name)) : undefined,
        );
      }
      this.step(`waiting for ${down.join(', ')} to report healthy`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Asks every service for its health; marks started ones running; returns the names not yet healthy. */
  private async refresh(): Promise<string[]> {
    const bus = this.requireBus();
    // a NATS restart (or stop()) can cut a round short: count it as nobody answering this time
    const reports = bus.isConnected() ? await checkHealth(bus, { maxWaitMs: 1_000 }).catch(() => []) : [];
    const down: string[] = [];
    for (const child of this.services) {
      const report = reports.find((r) => r.name === child.spec.name && r.pid === child.pid);
      if (report?.healthy) {
        child.markRunning();
        if (report.urls?.['portal'] && child.spec.name === 'gateway') this.state.portal = report.urls['portal'];
      } else down.push(child.spec.name);
    }
    this.save();
    return down;
  }

  private serviceArgs(): string[] {
    const args = this.opts.configPath ? ['--config', this.opts.configPath] : [];
    for (const entry of this.opts.set) args.push('--set', entry);
    return args;
  }

  private requireBus(): Bus {
    if (!this.bus) throw new StackStartError('not connected to nats-server');
    return this.bus;
  }

  private step(step: string): void {
    this.state.step = step;
    this.opts.log.info({ step }, 'stack');
    this.save();
  }

  private save(): void {
    if (this.state) writeState(this.opts.paths.stateFile, this.state);
  }
}

function timeout(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new StackStartError(message)), ms).unref());
}

/** The last lines of a log file, for error messages. */
export async function tail(file: string, lines = 15): Promise<string | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return undefined;
  }
}
