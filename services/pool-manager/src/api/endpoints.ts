import { HearthError, publishMachineEvent, recordUsage, serve, subjects, type MachineTypeInfo, type PoolStatus, type Service } from '@hearth/bus';
import type { MachineType } from '../config.js';
import type { Allocator } from '../allocate/allocator.js';
import { connectionOf } from '../allocate/machine-access.js';
import type { Engine } from '../engine.js';
import { serveCloudEndpoints } from './clouds.js';

/** The pool manager's request subjects: decode → domain → encode, nothing more. */
export function serveEndpoints(service: Service, engine: Engine, allocator: Allocator): void {
  serve(service, subjects.machines.allocate, (input, ctx) => allocator.allocate(input, ctx));
  serve(service, subjects.machines.cancel, (input) => ({ cancelled: allocator.cancel(input.requestId) }));
  serve(service, subjects.machines.release, async (input, ctx) => {
    const machine = engine.machines.get(input.machineId);
    // another user's machine is "not found": ids leak nothing
    if (!machine || machine.user !== input.user || machine.state !== 'allocated') {
      throw new HearthError('NOT_FOUND', `no allocated machine ${input.machineId} for ${input.user}`, { machineId: input.machineId });
    }
    const released = await engine.machines.update(machine.id, (r) => (r.state === 'allocated' && r.user === input.user ? { ...r, state: 'deleting', reason: 'released' } : undefined));
    if (!released) throw new HearthError('NOT_FOUND', `no allocated machine ${input.machineId} for ${input.user}`);
    ctx.log.info({ machineId: machine.id, user: input.user }, 'machine released');
    publishMachineEvent(engine.bus, { kind: 'released', at: Date.now(), machineId: machine.id, type: machine.type, user: input.user });
    await recordUsage(engine.bus, { event: 'released', at: Date.now(), installation: engine.installation, type: machine.type, cloud: machine.cloud, region: machine.region, user: input.user, machineId: machine.id });
    engine.kick();
    return {};
  });
  serve(service, subjects.machines.list, (input) => {
    // from the narrowest index the filter allows: a user's machines cost their number, not the pool's
    const from = input.user !== undefined ? engine.machines.ofUser(input.user) : input.state !== undefined ? engine.machines.inState(input.state) : engine.machines.all();
    const machines = [];
    for (const m of from) {
      if ((input.user !== undefined && m.user !== input.user) || (input.type !== undefined && m.type !== input.type) || (input.state !== undefined && m.state !== input.state)) continue;
      machines.push(m.state === 'allocated' && m.user ? { ...m, connect: connectionOf(m, m.user) } : m);
    }
    return { machines };
  });
  serveCloudEndpoints(service, engine);
  serve(service, subjects.machines.types, () => ({ types: [...engine.types.values()].map((type) => describeType(engine, type)) }));
  serve(service, subjects.pools.list, (input) => {
    const pools: PoolStatus[] = engine.pools
      .all()
      .filter((p) => input.type === undefined || p.type === input.type)
      .map((settings) => ({ settings, counts: engine.machines.countsOf(settings.type, settings.cloud), queued: engine.queue.length(settings.type) }));
    return { pools };
  });
  serve(service, subjects.pools.resize, async (input, ctx) => {
    if (!engine.pools.get(input.type, input.cloud)) {
      throw new HearthError('NOT_FOUND', `no pool for type ${input.type} on cloud ${input.cloud}`, { type: input.type, cloud: input.cloud });
    }
    const change = {
      ...(input.minReady === undefined ? {} : { minReady: input.minReady }),
      ...(input.max === undefined ? {} : { max: input.max }),
      ...(input.weight === undefined ? {} : { weight: input.weight }),
    };
    const current = engine.pools.get(input.type, input.cloud);
    if ((change.minReady ?? current?.minReady ?? 0) > (change.max ?? current?.max ?? 0)) {
      throw new HearthError('INVALID_REQUEST', 'minReady cannot exceed max', { issues: [{ path: 'minReady', message: 'must be <= max' }] });
    }
    const settings = await engine.pools.resize(input.type, input.cloud, change, input.by);
    ctx.log.info({ pool: `${input.type}.${input.cloud}`, by: input.by, ...change }, 'pool resized');
    engine.kick();
    return settings;
  });
}

/** A type as people see it, with its ready machines counted per cloud (every pooled cloud listed, 0 included). */
function describeType(engine: Engine, type: MachineType): MachineTypeInfo {
  const warm: Record<string, number> = {};
  for (const pool of engine.pools.all()) if (pool.type === type.name) warm[pool.cloud] = 0;
  let ready = 0;
  for (const machine of engine.machines.ready(type.name)) {
    warm[machine.cloud] = (warm[machine.cloud] ?? 0) + 1;
    ready += 1;
  }
  return {
    name: type.name,
    description: type.description,
    cpus: type.cpus,
    memoryMb: type.memoryMb,
    gpus: type.gpus,
    sudo: type.sudo,
    idleLimitMs: type.idleLimitMs,
    maxLifetimeMs: type.maxLifetimeMs,
    warm,
    ready,
    queued: engine.queue.length(type.name),
  };
}
