import { randomUUID } from 'node:crypto';
import { HearthError, publishMachineEvent, recordRequestEnd, recordUsage, type AllocateReply, type AllocateRequest, type MachineRecord, type RequestContext } from '@hearth/bus';
import { OwnerTag } from '@hearth/clouds';
import { chooseMachine, type CloudView } from '../domain/choose-machine.js';
import type { Engine } from '../engine.js';
import { failMachine } from '../reconcile/fail-machine.js';
import type { Waiter } from './request-queue.js';

/**
 * How long after answering a request its replacement's launch waits: about a user's SSH login
 * (handshake, authentication, first command), which the launch would otherwise slow down by
 * sharing the cores with it. The pool refills that much later.
 */
const userLoginMs = 200;

/**
 * Hands out ready machines. A request takes the best ready machine (compare-and-set
 * ready → allocated), personalizes it and answers; when nothing is ready it waits in its
 * type's FIFO queue, is told its position, and is served first when a machine becomes ready.
 */
export class Allocator {
  /** Machines a request in this process is working on, so concurrent requests pick different ones. */
  private readonly claimed = new Set<string>();
  /** A refill put off until the user's login (refillAfterUserLogin); dropped on stop. */
  private refill: NodeJS.Timeout | undefined;

  /** Set by stop(): a replica standing down takes no request into its queue. */
  private stopped = false;
  /** Background work started by answered requests, so the clouds are not closed under it. */
  private readonly pending = new Set<Promise<void>>();
  private readonly unwatch: () => void;

  constructor(private readonly engine: Engine) {
    // a machine turning ready wakes the oldest waiter of its type
    this.unwatch = engine.machines.onChange((record) => {
      if (record?.state === 'ready') this.engine.queue.next(record.type, record.region)?.wake();
    });
  }

  async allocate(request: AllocateRequest, ctx: RequestContext): Promise<AllocateReply> {
    const { engine } = this;
    if (this.stopped) throw stopping();
    const started = Date.now();
    const type = engine.types.get(request.type);
    if (!type) {
      throw new HearthError('NOT_FOUND', `unknown machine type ${JSON.stringify(request.type)}; expected one of: ${[...engine.types.keys()].join(', ')}`, {
        issues: [{ path: 'type', message: 'no such machine type' }],
      });
    }
    if (request.region !== undefined && ![...engine.clouds.values()].some((c) => c.region === request.region)) {
      throw new HearthError('INVALID_REQUEST', `unknown region ${JSON.stringify(request.region)}`, { issues: [{ path: 'region', message: 'no cloud in this region' }] });
    }
    const requestId = request.requestId ?? randomUUID();
    // bound only when something goes wrong: a child logger per request is measurable CPU at thousands a second
    const log = (): typeof ctx.log => ctx.log.child({ requestId, type: request.type, user: request.user });
    this.background(recordUsage(engine.bus, { event: 'requested', at: started, installation: engine.installation, type: request.type, user: request.user, requestId }), 'recording usage');
    const deadline = started + (request.waitMs ?? engine.config.poolManager.queueWaitMs);
    let warm = true;
    let woken = false;
    /** The machine being launched for this request while it waits, if one is. */
    let launch: string | undefined;
    for (let first = true; ; first = false) {
      // standing down: no next machine to try, no queue to wait in
      if (this.stopped) {
        if (launch !== undefined) this.handOver(launch);
        throw this.ended(requestId, stopping());
      }
      // requests already waiting for this type are served first
      const machine = first && engine.queue.length(request.type) > 0 ? undefined : await this.claim(request);
      if (machine) {
        // served by another machine than the one launched for it: that one is announced to the next in line
        if (launch !== undefined && launch !== machine.id) this.handOver(launch);
        launch = undefined;
        try {
          const connect = await engine.clouds.get(machine.cloud)?.access.personalize(machine, request.user, request.sshPublicKey, type.sudo);
          if (!connect) throw new Error(`cloud ${machine.cloud} is not configured`);
          return await this.finish(machine, request, requestId, connect, started, warm);
        } catch (err) {
          log().warn({ err, machineId: machine.id }, 'personalization failed; trying another machine');
          await failMachine(this.engine, machine, `personalization failed: ${(err as Error).message}`);
          engine.clouds.get(machine.cloud)?.access.forget(machine.id);
          engine.kick();
          continue;
        } finally {
          this.claimed.delete(machine.id);
        }
      }
      warm = false;
      // woken for a machine another request took first: keep this request's place at the head
      launch = await this.wait(request, requestId, deadline, woken, launch);
      woken = true;
    }
  }

  /** Takes the best ready machine by compare-and-set, or undefined when none is left. */
  private async claim(request: AllocateRequest): Promise<MachineRecord | undefined> {
    // a cloud's weight for this type is its pool's weight
    const views = new Map<string, CloudView>(
      [...this.engine.clouds].map(([name, cloud]) => [name, { ...cloud.view, weight: this.engine.pools.get(request.type, name)?.weight ?? cloud.view.weight }]),
    );
    for (;;) {
      const candidate = chooseMachine(this.heads(request), { ...(request.region ? { region: request.region } : {}), clouds: views, claimed: this.claimed });
      if (!candidate) return undefined;
      this.claimed.add(candidate.id);
      // CAS on revision: two allocators must never hand out one machine
      const won = await this.engine.machines.update(candidate.id, (current) =>
        current.state === 'ready' ? { ...current, state: 'allocated', user: request.user, allocatedAt: Date.now(), activeAt: Date.now() } : undefined,
      );
      if (won) return won;
      this.claimed.delete(candidate.id);
    }
  }

  /**
   * The machine ready longest on each cloud that can serve the request and is not being claimed,
   * longest-ready first: all chooseMachine needs to see, since within a cloud it takes the
   * machine ready longest. Costs the number of clouds (plus machines being claimed), not the
   * pool's size: scanning thousands of ready machines per request was most of an allocation's CPU.
   */
  private heads(request: AllocateRequest): MachineRecord[] {
    const heads: MachineRecord[] = [];
    for (const cloud of this.engine.clouds.values()) {
      if (request.region !== undefined && cloud.region !== request.region) continue;
      for (const machine of this.engine.machines.readyOn(request.type, cloud.name)) {
        if (this.claimed.has(machine.id)) continue;
        heads.push(machine);
        break;
      }
    }
    return heads.sort((a, b) => (a.readyAt ?? a.updatedAt) - (b.readyAt ?? b.updatedAt));
  }

  private async finish(
    machine: MachineRecord,
    request: AllocateRequest,
    requestId: string,
    connect: AllocateReply['connect'],
    started: number,
    warm: boolean,
  ): Promise<AllocateReply> {
    const { engine } = this;
    const cloud = engine.clouds.get(machine.cloud);
    const waitedMs = Date.now() - started;
    // Off the critical path: the allocation itself is durable (the CAS above); the usage record is
    // acknowledged in the background, and the cloud gets its copy of who owns the machine at once,
    // so lost state is rebuilt from tags, never "cleaned up".
    if (cloud && machine.cloudRef) {
      const tags = { [OwnerTag.User]: request.user, [OwnerTag.AllocatedAt]: new Date(machine.allocatedAt ?? Date.now()).toISOString() };
      this.background(cloud.driver.tag({ id: machine.cloudRef }, tags), 'tagging the instance with its user');
    }
    this.refillAfterUserLogin();
    this.background(
      recordUsage(engine.bus, {
        event: 'allocated',
        at: Date.now(),
        installation: engine.installation,
        type: machine.type,
        cloud: machine.cloud,
        region: machine.region,
        user: request.user,
        machineId: machine.id,
        requestId,
        waitMs: waitedMs,
        warm,
      }),
      'recording usage',
    );
    // a request that waited has a record (its gateway wrote it queued): it ends here even if that gateway is gone
    if (!warm) this.background(recordRequestEnd(engine.requests, requestId, { state: 'allocated', machineId: machine.id }), 'recording the served request');
    engine.metrics.allocations.inc({ type: machine.type, cloud: machine.cloud, warm: String(warm) });
    engine.metrics.waitSeconds.observe({ type: machine.type, warm: String(warm) }, waitedMs / 1000);
    publishMachineEvent(engine.bus, { kind: 'allocated', at: Date.now(), machineId: machine.id, requestId, type: machine.type, user: request.user });
    return { machineId: machine.id, type: machine.type, cloud: machine.cloud, region: machine.region, connect, waitedMs, warm };
  }

  /**
   * The pool refills (a reconcile pass) once the user has most likely logged in: on Docker the
   * replacement's container create and start would otherwise share the cores with that login.
   */
  private refillAfterUserLogin(): void {
    if (this.refill) return; // one pending refill serves every allocation until it runs
    this.refill = setTimeout(() => {
      this.refill = undefined;
      this.engine.kick();
    }, userLoginMs);
    this.refill.unref();
  }

  /** Lets work finish after the answer; a failure is logged, never lost silently. */
  private background(work: Promise<unknown>, doing: string): void {
    const tracked = work.then(
      () => undefined,
      (err: unknown) => this.engine.log.error({ err }, `${doing} failed`),
    );
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
  }

  /** Resolves once the background work of answered requests (usage records, owner tags) is done, or after `ms`. */
  async settled(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.pending), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /**
   * Waits in the queue until woken by a ready machine; rejects at the deadline or on cancel.
   * Resolves with the machine launched for the request meanwhile, if one was; a request that
   * leaves the queue without a machine hands its launch on to the next in line.
   */
  private wait(request: AllocateRequest, requestId: string, deadline: number, front: boolean, launch: string | undefined): Promise<string | undefined> {
    const { engine } = this;
    return new Promise<string | undefined>((resolve, reject) => {
      if (this.stopped) {
        if (launch !== undefined) this.handOver(launch);
        reject(this.ended(requestId, stopping()));
        return;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        if (launch !== undefined) this.handOver(launch);
        reject(this.ended(requestId, this.expired(request)));
        return;
      }
      const timer = setTimeout(() => {
        engine.queue.remove(requestId);
        this.announcePositions(request.type);
        if (waiter.launch !== undefined) this.handOver(waiter.launch);
        reject(this.ended(requestId, this.expired(request)));
      }, remaining);
      const waiter: Waiter = {
        requestId,
        request,
        enqueuedAt: Date.now(),
        ...(launch !== undefined ? { launch } : {}),
        wake: () => {
          clearTimeout(timer);
          this.announcePositions(request.type);
          resolve(waiter.launch);
        },
        fail: (err: Error) => {
          clearTimeout(timer);
          // answered first: passing the launch on publishes an event, which fails on a closed connection
          reject(this.ended(requestId, err));
          if (waiter.launch !== undefined) this.handOverQuietly(waiter.launch);
        },
      };
      const position = front ? engine.queue.requeue(waiter) : engine.queue.add(waiter);
      engine.metrics.queued.set({ type: request.type }, engine.queue.length(request.type));
      publishMachineEvent(engine.bus, { kind: 'queued', at: Date.now(), requestId, type: request.type, user: request.user, position });
      engine.kick(); // the queue raises the pool's target
    });
  }

  /**
   * A machine launched for a request that no longer needs it (served by another, cancelled,
   * expired) is announced to the oldest waiter of its type without a launch, if it is still
   * on its way up.
   */
  private handOver(machineId: string): void {
    const machine = this.engine.machines.get(machineId);
    if (!machine || (machine.state !== 'launching' && machine.state !== 'booting')) return;
    const next = this.engine.queue.assignLaunch(machine.type, machine.region, machineId);
    if (next) publishMachineEvent(this.engine.bus, { kind: 'launching', at: Date.now(), machineId, type: machine.type, requestId: next.requestId, user: next.request.user });
  }

  private handOverQuietly(machineId: string): void {
    try {
      this.handOver(machineId);
    } catch (err) {
      this.engine.log.warn({ err, machineId }, 'could not pass the launch on to the next request');
    }
  }

  /** Records how a queued request ended without a machine (cancelled, expired, stopping); returns the error. */
  private ended(requestId: string, err: Error): Error {
    const cancelled = err instanceof HearthError && err.code === 'CONFLICT';
    this.background(recordRequestEnd(this.engine.requests, requestId, { state: cancelled ? 'cancelled' : 'failed', error: err.message }), 'recording the end of a request');
    return err;
  }

  private expired(request: AllocateRequest): HearthError {
    return new HearthError('TIMEOUT', `no ${request.type} machine became ready in time; the pool is filling, try again shortly`, { type: request.type });
  }

  /** Cancels a queued request; false when it is not queued (served already, or unknown). */
  cancel(requestId: string): boolean {
    const waiter = this.engine.queue.remove(requestId);
    if (!waiter) return false;
    waiter.fail(new HearthError('CONFLICT', `request ${requestId} was cancelled`, { requestId }));
    this.announcePositions(waiter.request.type);
    return true;
  }

  private announcePositions(type: string): void {
    const { engine } = this;
    engine.metrics.queued.set({ type }, engine.queue.length(type));
    for (const { requestId, position, user } of engine.queue.positions(type)) {
      publishMachineEvent(engine.bus, { kind: 'position', at: Date.now(), requestId, type, user, position });
    }
  }

  /** Ends every queued request (service stopping). */
  stop(): void {
    this.stopped = true;
    this.unwatch();
    clearTimeout(this.refill);
    this.refill = undefined;
    for (const waiter of this.engine.queue.all()) {
      this.engine.queue.remove(waiter.requestId);
      try {
        waiter.fail(stopping());
      } catch (err) {
        this.engine.log.warn({ err, requestId: waiter.requestId }, 'ending a queued request failed');
      }
    }
    for (const type of this.engine.types.keys()) this.engine.metrics.queued.set({ type }, 0);
  }
}

function stopping(): HearthError {
  return new HearthError('UNAVAILABLE', 'the pool manager is stopping or handing over to another replica; try again');
}
