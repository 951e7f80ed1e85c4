import { useSyncExternalStore } from 'react';
import { api, toProblem } from './api/client';
import type { Machine, MachineEvent, Problem, QueuedRequest, RequestReply } from './api/types';
import { aOrAn } from './format';

/**
 * The machine requests made from this tab, each followed from "sent" to its connection card.
 * Progress arrives as live `machine` events; while a request is queued it is also polled
 * every 2 s, so a websocket reconnect never leaves it stuck. Kept in sessionStorage so a
 * reload picks the request up again.
 */

export type Phase = 'sending' | 'queued' | 'launching' | 'allocated' | 'failed' | 'cancelled';

export interface Step {
  at: number;
  text: string;
}

export interface Flow {
  key: string;
  type: string;
  phase: Phase;
  requestId?: string;
  position?: number;
  /** A machine was launched while this request waited. */
  launched?: boolean;
  machine?: Machine;
  problem?: Problem;
  steps: Step[];
}

const storageKey = 'hearth.requests';
const pollMs = 2000;
const flows = new Map<string, Flow>();
const listeners = new Set<() => void>();
const polling = new Set<string>();

function load(): void {
  try {
    const saved = JSON.parse(sessionStorage.getItem(storageKey) ?? '[]') as Flow[];
    for (const flow of saved) {
      // a reload during the POST loses its answer; My machines shows whether it was served
      if (flow.phase === 'sending') {
        flow.phase = 'failed';
        flow.problem = { title: 'INTERRUPTED', status: 0, detail: 'the page was reloaded before the gateway answered; see My machines' };
      }
      flows.set(flow.key, flow);
      if (flow.phase === 'queued' || flow.phase === 'launching') poll(flow.key);
    }
  } catch {
    sessionStorage.removeItem(storageKey);
  }
}

function update(key: string, change: (flow: Flow) => Partial<Flow>, step?: string): void {
  const flow = flows.get(key);
  if (!flow) return;
  const next: Flow = { ...flow, ...change(flow) };
  if (step) next.steps = [...flow.steps, { at: Date.now(), text: step }];
  flows.set(key, next);
  sessionStorage.setItem(storageKey, JSON.stringify([...flows.values()].slice(-20)));
  for (const listener of listeners) listener();
}

const done = (phase: Phase): boolean => phase === 'allocated' || phase === 'failed' || phase === 'cancelled';

function served(key: string, machine: Machine, how: string): void {
  update(key, () => ({ phase: 'allocated', machine }), how);
}

/** Applies the gateway's view of a queued request. */
function applyRequest(key: string, request: QueuedRequest): void {
  const flow = flows.get(key);
  if (!flow || done(flow.phase)) return;
  if (request.state === 'allocated' && request.machine) served(key, request.machine, `allocated ${request.machine.id} on ${request.machine.cloud}`);
  else if (request.state === 'failed') update(key, () => ({ phase: 'failed', problem: { title: 'REQUEST_FAILED', status: 0, detail: request.error ?? 'the request failed' } }), 'failed');
  else if (request.state === 'cancelled') update(key, () => ({ phase: 'cancelled' }), 'cancelled');
  else if (request.position !== undefined && request.position !== flow.position) {
    const position = request.position;
    update(key, () => ({ position }), `position ${position} in the queue`);
  }
}

function poll(key: string): void {
  if (polling.has(key)) return;
  polling.add(key);
  const tick = async (): Promise<void> => {
    const flow = flows.get(key);
    if (!flow?.requestId || done(flow.phase)) {
      polling.delete(key);
      return;
    }
    try {
      applyRequest(key, await api<QueuedRequest>('GET', `/requests/${encodeURIComponent(flow.requestId)}`));
    } catch (err) {
      const problem = toProblem(err);
      // 404: the gateway no longer knows it (expired or served elsewhere); stop asking
      if (problem.status === 404) update(key, () => ({ phase: 'failed', problem }), 'the request is no longer known');
    }
    setTimeout(() => void tick(), pollMs);
  };
  setTimeout(() => void tick(), pollMs);
}

/** Sends a request for a machine of `type` and returns the key to follow it by. */
export function startRequest(type: string): string {
  const key = `q${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  flows.set(key, { key, type, phase: 'sending', steps: [] });
  update(key, () => ({}), `requested ${aOrAn(type)} machine`);
  api<RequestReply>('POST', '/machines', { type }).then(
    (reply) => {
      if ('machine' in reply) {
        served(key, reply.machine, `allocated ${reply.machine.id} on ${reply.machine.cloud}: a warm machine was ready, no wait`);
        return;
      }
      const { request } = reply;
      update(
        key,
        () => ({ phase: 'queued', requestId: request.id, ...(request.position !== undefined ? { position: request.position } : {}) }),
        request.position !== undefined ? `queued: position ${request.position}` : 'queued',
      );
      poll(key);
    },
    (err: unknown) => update(key, () => ({ phase: 'failed', problem: toProblem(err) }), 'the request was refused'),
  );
  return key;
}

/** Cancels a queued request. */
export async function cancelRequest(key: string): Promise<void> {
  const flow = flows.get(key);
  if (!flow?.requestId || done(flow.phase)) return;
  await api<void>('DELETE', `/requests/${encodeURIComponent(flow.requestId)}`);
  update(key, () => ({ phase: 'cancelled' }), 'cancelled');
}

/** Moves each request this tab follows along by one live machine event. */
export function applyMachineEvent(event: MachineEvent): void {
  for (const flow of flows.values()) {
    if (done(flow.phase) || flow.phase === 'sending' || !flow.requestId) continue;
    const mine = event.requestId === flow.requestId;
    // launches are for the pool, not a request; one of this type is what will serve it
    const sameType = event.type === flow.type && event.requestId === undefined;
    const position = event.position;
    if (mine && (event.kind === 'queued' || event.kind === 'position') && position !== undefined && position !== flow.position) {
      update(flow.key, () => ({ position }), `position ${position} in the queue`);
    } else if ((mine || sameType) && event.kind === 'launching') {
      update(flow.key, () => ({ phase: 'launching', launched: true }), `${aOrAn(flow.type)} machine is launching`);
    } else if ((mine || sameType) && event.kind === 'ready') {
      update(flow.key, (f) => ({ phase: f.phase }), `${event.machineId ?? 'a machine'} is ready`);
    } else if (mine && event.kind === 'allocated' && event.machineId) {
      const machineId = event.machineId;
      api<Machine>('GET', `/machines/${encodeURIComponent(machineId)}`).then(
        (machine) => served(flow.key, machine, `allocated ${machine.id} on ${machine.cloud}`),
        () => poll(flow.key),
      );
    } else if (mine && event.kind === 'failed') {
      update(flow.key, () => ({ phase: 'failed', problem: { title: 'REQUEST_FAILED', status: 0, detail: event.reason ?? 'the request failed' } }), 'failed');
    }
  }
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The request followed under `key`, re-rendering as it moves on. */
export function useFlow(key: string): Flow | undefined {
  return useSyncExternalStore(subscribe, () => flows.get(key));
}

load();
