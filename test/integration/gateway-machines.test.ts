import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiCall, startGateway, type MachineView, type TestGateway } from '../helpers/gateway.js';
import { startGatewayStack, type GatewayStack } from '../helpers/gateway-stack.js';
import { machineType, pool, simCloud, userKey } from '../helpers/pool-manager.js';
import { waitFor } from '../helpers/wait-for.js';

let stack: GatewayStack;
let gw: TestGateway;
let admin: string;
let ada: string;
let bob: string;

beforeAll(async () => {
  stack = await startGatewayStack([
    ...machineType(0, 'analysis'),
    ...machineType(1, 'gpu'),
    ...simCloud(0, 'sim-a'),
    ...pool(0, 'analysis', 'sim-a', 2, 6),
    ...pool(1, 'gpu', 'sim-a', 0, 2),
  ]);
  ({ gw, admin, ada, bob } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

const call = (token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> => apiCall(gw.url, token, path, init);

/** A websocket on /api/v1/events collecting every message. */
async function listen(token: string): Promise<{ messages: { topic: string; event: Record<string, unknown> }[]; close(): void }> {
  const socket = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
  const messages: { topic: string; event: Record<string, unknown> }[] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as { topic: string; event: Record<string, unknown> }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { messages, close: () => socket.close() };
}

describe('machine types and warm requests', () => {
  it('lists machine types with warm counts per cloud', async () => {
    await waitFor(async () => {
      const { types } = (await (await call(ada, '/machine-types')).json()) as { types: { name: string; warm: Record<string, number>; ready: number }[] };
      return types.find((t) => t.name === 'analysis')?.warm['sim-a'] === 2;
    }, { what: '2 warm analysis machines', timeoutMs: 15_000 });
  });

  it('serves a warm machine with 201 and a ready-to-paste ssh command', async () => {
    const res = await call(ada, '/machines', { method: 'POST', body: { type: 'analysis', sshPublicKey: userKey } });
    expect(res.status).toBe(201);
    const { machine } = (await res.json()) as { machine: MachineView };
    expect(machine).toMatchObject({ type: 'analysis', user: 'ada', state: 'allocated', connect: { user: 'ada' } });
    const jump = machine.connect.jump ? ` -J ${machine.connect.jump}` : '';
    expect(machine.sshCommand).toBe(`ssh -p ${machine.connect.port}${jump} ada@${machine.connect.host}`);
    const mine = (await (await call(ada, '/machines')).json()) as { machines: MachineView[] };
    expect(mine.machines.map((m) => m.id)).toEqual([machine.id]);
    expect(await (await call(ada, `/machines/${machine.id}`)).json()).toMatchObject({ id: machine.id, sshCommand: machine.sshCommand });
  });

  it('uses the profile key when the request names none, and names the field when there is neither', async () => {
    const none = await call(bob, '/machines', { method: 'POST', body: { type: 'analysis' } });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { issues: { path: string }[] }).issues).toEqual([{ path: '/sshPublicKey', message: expect.any(String) }]);
    expect((await call(bob, '/me/ssh-key', { method: 'PUT', body: { sshPublicKey: userKey } })).status).toBe(200);
    await waitFor(async () => {
      const { types } = (await (await call(bob, '/machine-types')).json()) as { types: { name: string; ready: number }[] };
      return (types.find((t) => t.name === 'analysis')?.ready ?? 0) > 0;
    }, { what: 'a warm analysis machine again', timeoutMs: 15_000 });
    const res = await call(bob, '/machines', { method: 'POST', body: { type: 'analysis' } });
    expect(res.status).toBe(201);
  });

  it('answers 404 for an unknown type, naming the field', async () => {
    const res = await call(ada, '/machines', { method: 'POST', body: { type: 'quantum', sshPublicKey: userKey } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { issues: unknown }).issues).toEqual([{ path: 'type', message: 'no such machine type' }]);
  });

  it('never shows or releases another user\'s machine: 404', async () => {
    const [adas] = ((await (await call(ada, '/machines')).json()) as { machines: MachineView[] }).machines;
    if (!adas) throw new Error('ada has no machine');
    expect((await call(bob, `/machines/${adas.id}`)).status).toBe(404);
    expect((await call(bob, `/machines/${adas.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(((await (await call(bob, '/machines')).json()) as { machines: MachineView[] }).machines.every((m) => m.user === 'bob')).toBe(true);
    // an admin sees everyone's with ?all=true
    const all = ((await (await call(admin, '/machines?all=true')).json()) as { machines: MachineView[] }).machines;
    expect(all.map((m) => m.user).sort()).toEqual(['ada', 'bob']);
    // still ada's
    expect((await call(ada, `/machines/${adas.id}`)).status).toBe(200);
  });

  it('releases a machine: 204, then it is gone', async () => {
    const [adas] = ((await (await call(ada, '/machines')).json()) as { machines: MachineView[] }).machines;
    if (!adas) throw new Error('ada has no machine');
    expect((await call(ada, `/machines/${adas.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(ada, `/machines/${adas.id}`)).status).toBe(404);
    expect((await call(ada, `/machines/${adas.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('queued requests', () => {
  it('answers 202 with the position, pushes events on the websocket, and ends allocated', async () => {
    const adaEvents = await listen(ada);
    const bobEvents = await listen(bob);
    try {
      // 1. nothing warm for gpu (minReady 0): the request queues
      const res = await call(ada, '/machines', { method: 'POST', body: { type: 'gpu', sshPublicKey: userKey } });
      expect(res.status).toBe(202);
      const { request } = (await res.json()) as { request: { id: string; state: string; position: number; type: string } };
      expect(request).toMatchObject({ type: 'gpu', state: 'queued', position: 1 });
      expect(res.headers.get('location')).toBe(`/api/v1/requests/${request.id}`);
      // 2. the pool launches for the queue; the request ends allocated
      const done = await waitFor(async () => {
        const r = (await (await call(ada, `/requests/${request.id}`)).json()) as { state: string; machine?: MachineView };
        return r.state === 'allocated' ? r : undefined;
      }, { what: 'the queued request allocated', timeoutMs: 15_000 });
      expect(done.machine).toMatchObject({ type: 'gpu', user: 'ada', state: 'allocated' });
      // 3. ada's socket saw it queued and allocated; bob's saw none of ada's events
      await waitFor(() => adaEvents.messages.some((m) => m.event['kind'] === 'allocated' && m.event['requestId'] === request.id), {
        what: 'allocated event on ada\'s socket',
      });
      expect(adaEvents.messages.some((m) => m.topic === 'machine' && m.event['kind'] === 'queued' && m.event['requestId'] === request.id)).toBe(true);
      // the machine launched for her request is announced to her, launching and then ready, and is the one she got
      const launching = adaEvents.messages.find((m) => m.event['kind'] === 'launching' && m.event['requestId'] === request.id);
      expect(launching?.event).toMatchObject({ user: 'ada', type: 'gpu', machineId: done.machine?.id });
      expect(adaEvents.messages.some((m) => m.event['kind'] === 'ready' && m.event['requestId'] === request.id && m.event['machineId'] === done.machine?.id)).toBe(true);
      expect(adaEvents.messages.every((m) => m.topic === 'machine' && m.event['user'] === 'ada')).toBe(true);
      expect(bobEvents.messages.filter((m) => m.event['user'] === 'ada')).toEqual([]);
      // another user's request is not found
      expect((await call(bob, `/requests/${request.id}`)).status).toBe(404);
    } finally {
      adaEvents.close();
      bobEvents.close();
    }
  });

  it('holds the reply with wait: true until served', async () => {
    const res = await call(bob, '/machines', { method: 'POST', body: { type: 'gpu', wait: true } });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { machine: MachineView }).machine).toMatchObject({ type: 'gpu', user: 'bob' });
  });

  it('cancels a queued request with DELETE /requests/:id', async () => {
    // the gpu pool is full (max 2, both allocated): a third request can only wait
    const res = await call(ada, '/machines', { method: 'POST', body: { type: 'gpu', sshPublicKey: userKey } });
    expect(res.status).toBe(202);
    const { request } = (await res.json()) as { request: { id: string } };
    expect((await call(bob, `/requests/${request.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call(ada, `/requests/${request.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await call(ada, `/requests/${request.id}`)).json()).toMatchObject({ id: request.id, state: 'cancelled' });
    expect((await call(ada, `/requests/${request.id}`, { method: 'DELETE' })).status).toBe(409);
    expect((await call(ada, '/requests/no-such-request')).status).toBe(404);
  });
});

describe('requests that find no machine', () => {
  let impatient: TestGateway;

  beforeAll(async () => {
    impatient = await startGateway({ natsUrl: stack.nats.url, set: ['gateway.requestWaitMs=1s'] });
  });
  afterAll(async () => {
    await impatient?.stop();
  });

  const ask = (body: unknown): Promise<Response> =>
    fetch(`${impatient.url}/api/v1/machines`, { method: 'POST', headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('ends a held request at the deadline with 504', async () => {
    // the gpu pool is full (max 2, both allocated)
    const res = await ask({ type: 'gpu', sshPublicKey: userKey, wait: true });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { title: string }).title).toBe('TIMEOUT');
  });

  it('marks a queued request failed at the deadline and says so on the websocket', async () => {
    const events = await listen(ada);
    try {
      const res = await ask({ type: 'gpu', sshPublicKey: userKey });
      expect(res.status).toBe(202);
      const { request } = (await res.json()) as { request: { id: string } };
      const failed = await waitFor(async () => {
        const r = (await (await fetch(`${impatient.url}/api/v1/requests/${request.id}`, { headers: { authorization: `Bearer ${ada}` } })).json()) as { state: string; error?: string };
        return r.state === 'failed' ? r : undefined;
      }, { what: 'the request failed at its deadline' });
      expect(failed.error).toMatch(/no gpu machine became ready in time/);
      await waitFor(() => events.messages.some((m) => m.event['kind'] === 'failed' && m.event['requestId'] === request.id), { what: 'a failed event for the request' });
    } finally {
      events.close();
    }
  });
});

describe('admin', () => {
  it('lists pools and resizes one, audited with the admin\'s name', async () => {
    const { pools } = (await (await call(admin, '/pools')).json()) as { pools: { settings: { type: string; cloud: string } }[] };
    expect(pools.map((p) => `${p.settings.type}.${p.settings.cloud}`).sort()).toEqual(['analysis.sim-a', 'gpu.sim-a']);
    const res = await call(admin, '/pools/analysis/sim-a', { method: 'PATCH', body: { minReady: 3 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: 'analysis', cloud: 'sim-a', minReady: 3, max: 6, changedBy: 'admin' });
    await waitFor(async () => {
      const { types } = (await (await call(ada, '/machine-types')).json()) as { types: { name: string; ready: number }[] };
      return types.find((t) => t.name === 'analysis')?.ready === 3;
    }, { what: 'the pool refilled to 3', timeoutMs: 15_000 });
    expect((await call(admin, '/pools/analysis/sim-a', { method: 'PATCH', body: { minReady: 50 } })).status).toBe(409);
    expect((await call(admin, '/pools/analysis/nowhere', { method: 'PATCH', body: { minReady: 1 } })).status).toBe(404);
    expect((await call(admin, '/pools/analysis/sim-a', { method: 'PATCH', body: {} })).status).toBe(400);
    expect((await call(ada, '/pools/analysis/sim-a', { method: 'PATCH', body: { minReady: 1 } })).status).toBe(403);
  });

  it('lists clouds with health, drains and undrains one', async () => {
    const { clouds } = (await (await call(admin, '/clouds')).json()) as { clouds: { name: string; health: string; drained: boolean }[] };
    expect(clouds).toEqual([expect.objectContaining({ name: 'sim-a', drained: false })]);
    expect(await (await call(admin, '/clouds/sim-a/drain', { method: 'POST' })).json()).toMatchObject({ name: 'sim-a', drained: true });
    expect(await (await call(admin, '/clouds/sim-a/undrain', { method: 'POST' })).json()).toMatchObject({ name: 'sim-a', drained: false });
    expect((await call(admin, '/clouds/nowhere/drain', { method: 'POST' })).status).toBe(404);
  });

  it('shows the latest usage events, newest first', async () => {
    const res = await call(admin, '/usage?limit=5');
    const { events } = (await res.json()) as { events: { event: string; at: number }[] };
    expect(events.length).toBe(5);
    expect([...events].sort((a, b) => b.at - a.at).map((e) => e.at)).toEqual(events.map((e) => e.at));
    const all = (await (await call(admin, '/usage?limit=1000')).json()) as { events: { event: string; user?: string }[] };
    expect(all.events.map((e) => e.event)).toEqual(expect.arrayContaining(['requested', 'allocated', 'released', 'resized']));
    expect((await call(admin, '/usage?limit=0')).status).toBe(400);
  });

  it('gives an admin\'s socket pool, cloud and usage events too', async () => {
    const events = await listen(admin);
    try {
      await call(admin, '/clouds/sim-a/drain', { method: 'POST' });
      await call(admin, '/clouds/sim-a/undrain', { method: 'POST' });
      await call(admin, '/pools/gpu/sim-a', { method: 'PATCH', body: { minReady: 1 } });
      await waitFor(() => events.messages.some((m) => m.topic === 'usage' && m.event['event'] === 'resized'), { what: 'a usage event on the admin socket' });
      await waitFor(() => events.messages.some((m) => m.topic === 'cloud'), { what: 'a cloud event on the admin socket' });
      // ada's allocation reaches the admin too
      expect((await call(ada, '/machines', { method: 'POST', body: { type: 'analysis', sshPublicKey: userKey } })).status).toBe(201);
      await waitFor(() => events.messages.some((m) => m.topic === 'machine' && m.event['kind'] === 'allocated' && m.event['user'] === 'ada'), {
        what: 'ada\'s allocated event on the admin socket',
      });
    } finally {
      events.close();
    }
  });
});
