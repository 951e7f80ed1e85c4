import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '@hearth/log';
import type { ChildStatus } from './state.js';
import { terminate } from './process-info.js';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  log: Logger;
  /** Called whenever the status changes (state file refresh). */
  onChange: () => void;
}

/** Restart delays; a process that ran for `stableMs` starts again from the first. */
const backoffMs = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
const stableMs = 30_000;

/**
 * One process kept running: output appended to its log file, restarted with exponential
 * backoff when it exits on its own, stopped with SIGTERM then SIGKILL. Each child gets its
 * own process group, so a Ctrl-C in the terminal reaches only the supervisor, which then
 * stops the children in order.
 */
export class SupervisedChild {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private startedAt = 0;
  private stopping = false;
  readonly status: ChildStatus;
  /** Resolves on the next exit; used while waiting for a process to become ready. */
  private exitWaiters: ((how: string) => void)[] = [];

  constructor(readonly spec: ChildSpec) {
    this.status = { name: spec.name, state: 'stopped', restarts: 0, since: new Date().toISOString() };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.stopping = false;
    const out = openSync(this.spec.logFile, 'a');
    const child = spawn(this.spec.command, this.spec.args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    this.startedAt = Date.now();
    this.set('starting', child.pid);
    child.once('error', (err) => this.spec.log.error({ err, child: this.spec.name }, 'cannot start process'));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  /** Marks a started process as running (after its readiness check passed). */
  markRunning(): void {
    if (this.status.state === 'starting') this.set('running', this.child?.pid);
  }

  /** Resolves with how the process ended, the next time it does. */
  nextExit(): Promise<string> {
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      this.set('stopping', child.pid);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await terminate(child.pid, graceMs);
      await exited;
    }
    this.set('stopped', undefined);
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.status.lastExit = how;
    for (const waiter of this.exitWaiters.splice(0)) waiter(how);
    if (this.stopping) return;
    if (Date.now() - this.startedAt >= stableMs) this.attempt = 0;
    const delay = backoffMs[Math.min(this.attempt, backoffMs.length - 1)] ?? 30_000;
    this.attempt++;
    this.status.restarts++;
    this.spec.log.warn({ child: this.spec.name, exit: how, restartInMs: delay, restarts: this.status.restarts }, 'process exited; restarting');
    this.set('backoff', undefined);
    this.timer = setTimeout(() => this.start(), delay);
  }

  private set(state: ChildStatus['state'], pid: number | undefined): void {
    this.status.state = state;
    this.status.since = new Date().toISOString();
    if (pid === undefined) delete this.status.pid;
    else this.status.pid = pid;
    this.spec.onChange();
  }
}
