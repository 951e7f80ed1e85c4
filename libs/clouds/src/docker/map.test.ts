import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { instanceState, neverStartedAfterMs, toInstance, viewOfInspect, viewOfSummary, type ContainerView } from './map.js';

// Fixtures are real Engine API 1.41 answers (dockerd 20.10) for three containers of the
// installation "fixtures": one running sshd, one whose entrypoint exited with 3, one created.
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')) as T;
}

const running = fixture<Dockerode.ContainerInspectInfo>('inspect-running.json');
const exited = fixture<Dockerode.ContainerInspectInfo>('inspect-exited-3.json');
const listed = fixture<Dockerode.ContainerInfo[]>('list.json');

function view(status: string, more: Partial<ContainerView> = {}): ContainerView {
  return { id: 'c1', status, labels: {}, createdAt: new Date(0), addresses: {}, ...more };
}

describe('docker state map', () => {
  it.each([
    ['created', 'pending'],
    ['running', 'running'],
    ['restarting', 'pending'],
    ['paused', 'stopped'],
    ['removing', 'deleting'],
  ])('maps %s to %s without a fault', (status, state) => {
    expect(instanceState(view(status))).toEqual({ state });
  });

  it('maps a clean exit to stopped and a failed one to error with its exit code', () => {
    expect(instanceState(view('exited', { exitCode: 0 }))).toEqual({ state: 'stopped' });
    expect(instanceState(view('exited', { exitCode: 2 }))).toEqual({ state: 'error', fault: 'exited with code 2' });
  });

  it('names the runtime error or the OOM kill as the fault', () => {
    expect(instanceState(view('exited', { exitCode: 127, detail: 'exec: "sshd": not found' })).fault).toBe(
      'exec: "sshd": not found',
    );
    expect(instanceState(view('exited', { exitCode: 137, oomKilled: true })).fault).toBe('killed: out of memory');
  });

  it('maps dead and unknown statuses to error, saying why', () => {
    expect(instanceState(view('dead'))).toEqual({ state: 'error', fault: 'docker container is dead' });
    expect(instanceState(view('hibernating'))).toEqual({
      state: 'error',
      fault: 'unknown docker container status "hibernating"',
    });
  });
});

describe('docker container → instance', () => {
  it('reads a running container: its address on the launch network, owner tags only', () => {
    const instance = toInstance(viewOfInspect(running), {}, running);
    expect(instance).toMatchObject({ ref: { id: running.Id }, state: 'running', privateIp: '172.28.0.2' });
    // image labels (org.opencontainers.*) and driver bookkeeping (hearth.cpus) are not tags
    expect(instance.tags).toEqual({
      'hearth:installation': 'fixtures',
      'hearth:machine': 'm-fixture-running',
      'hearth:type': 'analysis-1',
    });
    expect(instance.createdAt.toISOString()).toBe(new Date(running.Created).toISOString());
  });

  it('overlays the tags added after launch', () => {
    const instance = toInstance(viewOfInspect(running), { 'hearth:user': 'ada', 'hearth:type': 'changed' }, running);
    expect(instance.tags).toMatchObject({ 'hearth:user': 'ada', 'hearth:type': 'changed', 'hearth:machine': 'm-fixture-running' });
  });

  it('reads a container left created by an interrupted launch as error, once past the start of any launch', () => {
    const createdAt = new Date(1_000_000);
    const created = view('created', { createdAt });
    const later = createdAt.getTime() + neverStartedAfterMs + 1;
    expect(instanceState(created, { now: later, starting: false })).toEqual({ state: 'error', fault: 'created but never started: its launch was interrupted' });
    // being started by this process, or just made: still pending
    expect(instanceState(created, { now: later, starting: true })).toEqual({ state: 'pending' });
    expect(instanceState(created, { now: createdAt.getTime() + 500, starting: false })).toEqual({ state: 'pending' });
  });

  it('reads a container whose entrypoint failed as error, with no address', () => {
    const instance = toInstance(viewOfInspect(exited), {}, exited);
    expect(instance).toMatchObject({ state: 'error', fault: 'exited with code 3' });
    expect(instance.privateIp).toBeUndefined();
  });

  it('reads the list call the same way as inspect, exit code from the status text', () => {
    const byMachine = new Map(listed.map((c) => [c.Labels['hearth:machine'], toInstance(viewOfSummary(c), {}, c)]));
    expect(byMachine.get('m-fixture-running')).toMatchObject({ state: 'running', privateIp: '172.28.0.2' });
    expect(byMachine.get('m-fixture-failed')).toMatchObject({ state: 'error', fault: 'exited with code 3' });
    expect(byMachine.get('m-fixture-created')).toMatchObject({ state: 'pending' });
    expect(byMachine.get('m-fixture-created')?.fault).toBeUndefined();
  });
});
