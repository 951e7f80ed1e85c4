import { describe, expect, it } from 'vitest';
import type { MachineRecord } from '@hearth/bus';
import { chooseMachine, type CloudView } from './choose-machine.js';

const machine = (id: string, cloud: string, region = 'eu'): MachineRecord => ({
  id,
  type: 'analysis',
  cloud,
  region,
  state: 'ready',
  createdAt: 0,
  updatedAt: 0,
});
const view = (weight: number, healthy = true, drained = false): CloudView => ({ weight, healthy, drained });

describe('chooseMachine', () => {
  const clouds = new Map([
    ['a', view(1)],
    ['b', view(5)],
    ['sick', view(100, false)],
    ['drained', view(100, true, true)],
  ]);

  it('takes the machine ready longest within the heaviest healthy cloud', () => {
    const ready = [machine('a1', 'a'), machine('b1', 'b'), machine('b2', 'b')];
    expect(chooseMachine(ready, { clouds, claimed: new Set() })?.id).toBe('b1');
  });

  it('prefers any healthy, undrained cloud over a heavier unhealthy or drained one', () => {
    const ready = [machine('s1', 'sick'), machine('d1', 'drained'), machine('a1', 'a')];
    expect(chooseMachine(ready, { clouds, claimed: new Set() })?.id).toBe('a1');
  });

  it('still serves from an unhealthy cloud when nothing else is ready', () => {
    expect(chooseMachine([machine('s1', 'sick')], { clouds, claimed: new Set() })?.id).toBe('s1');
  });

  it('prefers a healthy cloud over a heavier degraded one, and a degraded one over a down one', () => {
    const judged = new Map<string, CloudView>([
      ['ok', { weight: 1, healthy: true, drained: false, health: 'healthy' }],
      ['slow', { weight: 9, healthy: true, drained: false, health: 'degraded' }],
      ['gone', { weight: 99, healthy: false, drained: false, health: 'down' }],
    ]);
    expect(chooseMachine([machine('s1', 'slow'), machine('o1', 'ok')], { clouds: judged, claimed: new Set() })?.id).toBe('o1');
    expect(chooseMachine([machine('g1', 'gone'), machine('s1', 'slow')], { clouds: judged, claimed: new Set() })?.id).toBe('s1');
  });

  it('keeps to the requested region', () => {
    const ready = [machine('b1', 'b', 'eu'), machine('a1', 'a', 'us')];
    expect(chooseMachine(ready, { region: 'us', clouds, claimed: new Set() })?.id).toBe('a1');
    expect(chooseMachine(ready, { region: 'ap', clouds, claimed: new Set() })).toBeUndefined();
  });

  it('skips machines another request is claiming', () => {
    const ready = [machine('b1', 'b'), machine('b2', 'b')];
    expect(chooseMachine(ready, { clouds, claimed: new Set(['b1']) })?.id).toBe('b2');
    expect(chooseMachine(ready, { clouds, claimed: new Set(['b1', 'b2']) })).toBeUndefined();
  });
});
