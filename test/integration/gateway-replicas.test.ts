import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, openKv, RequestRecord } from '@hearth/bus';
import { apiCall, startGateway, type MachineView, type TestGateway } from '../helpers/gateway.js';
import { startGatewayStack, type GatewayStack } from '../helpers/gateway-stack.js';
import { machineType, pool, simCloud, userKey, type TestPoolManager } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

// Queued requests are recorded in KV `requests`: any gateway replica answers for them, and the
// pool manager records how they ended, also when the gateway that took one has stopped.
let stack: GatewayStack;
let pm: TestPoolManager;
let gw: TestGateway;
let ada: string;
let bob: string;

beforeAll(async () => {
  stack = await startGatewayStack([
    ...machineType(0, 'batch'),
    // machines that take a while to boot, so a request stays queued for a moment
    ...simCloud(0, 'sim-slow', ['bootTimeMs.meanMs=1500']),
    ...pool(0, 'batch', 'sim-slow', 0, 4),
  ]);
  ({ pm, gw, ada, bob } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

const call = (token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> => apiCall(gw.url, token, path, init);

describe('queued requests behind several gateways', () => {
  it('answers GET and DELETE /requests/:id on a replica that did not take the request, and after the one that did has stopped', async () => {
    const other = await startGateway({ natsUrl: stack.nats.url });
    const on = (g: TestGateway, token: string, path: string, method = 'GET'): Promise<Response> => apiCall(g.url, token, path, { method });
    try {
      // 1. queued on the first gateway, followed to its end on the other
      const res = await call(ada, '/machines', { method: 'POST', body: { type: 'batch', sshPublicKey: userKey } });
      expect(res.status).toBe(202);
      const { request } = (await res.json()) as { request: { id: string } };
      expect(await (await on(other, ada, `/requests/${request.id}`)).json()).toMatchObject({ id: request.id, type: 'batch', state: 'queued' });
      expect((await on(other, bob, `/requests/${request.id}`)).status).toBe(404);
      const done = await waitFor(async () => {
        const r = (await (await on(other, ada, `/requests/${request.id}`)).json()) as { state: string; machine?: MachineView };
        return r.state === 'allocated' ? r : undefined;
      }, { what: 'the other gateway to see the request allocated', timeoutMs: 15_000 });
      expect(done.machine).toMatchObject({ type: 'batch', user: 'ada', state: 'allocated', sshCommand: expect.stringMatching(/^ssh /) });

      // 2. queued on the first, cancelled through the other: both say cancelled
      const second = (await (await call(ada, '/machines', { method: 'POST', body: { type: 'batch', sshPublicKey: userKey } })).json()) as { request: { id: string } };
      expect((await on(other, bob, `/requests/${second.request.id}`, 'DELETE')).status).toBe(404);
      expect((await on(other, ada, `/requests/${second.request.id}`, 'DELETE')).status).toBe(204);
      // read after write: the replica that answered 204 has recorded the end already
      expect(await (await on(other, ada, `/requests/${second.request.id}`)).json()).toMatchObject({ state: 'cancelled' });
      await waitFor(async () => ((await (await call(ada, `/requests/${second.request.id}`)).json()) as { state: string }).state === 'cancelled', {
        what: 'the first gateway to see the cancel',
      });
      expect(await (await on(other, ada, `/requests/${second.request.id}`)).json()).toMatchObject({ state: 'cancelled' });
      expect((await on(other, ada, `/requests/${second.request.id}`, 'DELETE')).status).toBe(409);

      // 3. queued on the other, which then stops: the pool manager records the end, and this gateway answers
      const third = (await (await apiCall(other.url, ada, '/machines', { method: 'POST', body: { type: 'batch', sshPublicKey: userKey } })).json()) as {
        request: { id: string };
      };
      await other.stop();
      const ended = await waitFor(async () => {
        const r = (await (await call(ada, `/requests/${third.request.id}`)).json()) as { state: string; machine?: MachineView };
        return r.state !== 'queued' ? r : undefined;
      }, { what: 'the request of the stopped gateway to end', timeoutMs: 15_000 });
      expect(ended).toMatchObject({ state: 'allocated', machine: { type: 'batch', user: 'ada' } });
    } finally {
      await other.stop().catch(() => undefined);
    }
  });

  it('ends, as failed, a request left queued by a pool manager that died, when the next one starts', async () => {
    // what a crash leaves: the record written queued, and nobody waiting for it any more
    const kv = await openKv(pm.bus, buckets.requests, RequestRecord);
    const id = randomUUID();
    const now = Date.now();
    await kv.create(id, { id, user: 'ada', type: 'batch', state: 'queued', createdAt: now, updatedAt: now });
    expect(await (await call(ada, `/requests/${id}`)).json()).toMatchObject({ state: 'queued' });
    await pm.restart();
    expect(await (await call(ada, `/requests/${id}`)).json()).toMatchObject({
      id,
      state: 'failed',
      error: 'the pool manager restarted while the request waited; request a machine again',
    });
  });
});
