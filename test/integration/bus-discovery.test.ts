import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { collect, createService, request, serviceApi, subjects, type Bus, type Service } from '@hearth/bus';
import { connectPair } from '../helpers/bus.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';

let nats: TestNatsServer;
let host: Bus;
let client: Bus;

let pair: Awaited<ReturnType<typeof connectPair>> | undefined;
beforeAll(async () => {
  nats = await startNatsServer();
  pair = await connectPair(nats.url);
  ({ host, client } = pair);
});
afterAll(async () => {
  await pair?.close();
  await nats?.cleanup();
});

/** The ADR-32 fields these tests read. */
interface MicroEndpoint {
  name: string;
  subject: string;
  queue_group: string;
  num_requests?: number;
  num_errors?: number;
  last_error?: string;
  processing_time?: number;
  average_processing_time?: number;
}
interface MicroReply {
  type: string;
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
  description?: string;
  started?: string;
  endpoints?: MicroEndpoint[];
}

async function startService(name: string, metadata?: Record<string, string>): Promise<Service> {
  const service = await createService(host, {
    name,
    version: '2.0.1',
    description: `the ${name} service`,
    ...(metadata ? { metadata } : {}),
  });
  onTestFinished(() => service.stop());
  return service;
}

/** One discovery request, answered by the first instance. */
async function ask(subject: string): Promise<MicroReply> {
  return (await client.nc.request(subject, '', { timeout: 5_000 })).json<MicroReply>();
}

/** Every answer to a discovery request. */
async function askAll(subject: string): Promise<MicroReply[]> {
  const replies: MicroReply[] = [];
  const answers = await client.nc.requestMany(subject, '', { strategy: 'stall', maxWait: 2_000, stall: 300 });
  for await (const msg of answers) replies.push(msg.json<MicroReply>());
  return replies;
}

describe('NATS service discovery (ADR-32)', () => {
  it('answers $SRV.PING from every instance, and $SRV.PING.<name> by name', async () => {
    const a = await startService('ping-a');
    const b = await startService('ping-b');

    const all = await askAll(serviceApi.ping);
    expect(all.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    for (const reply of all) expect(reply.type).toBe('io.nats.micro.v1.ping_response');

    const one = await ask(`${serviceApi.ping}.ping-b`);
    expect(one).toEqual({
      type: 'io.nats.micro.v1.ping_response',
      name: 'ping-b',
      id: b.id,
      version: '2.0.1',
      metadata: {},
    });
  });

  it('describes the instance and its endpoints on $SRV.INFO.<name>', async () => {
    const service = await startService('info', { site: 'north' });
    const info = await ask(`${serviceApi.info}.info`);
    expect(info).toMatchObject({
      type: 'io.nats.micro.v1.info_response',
      name: 'info',
      id: service.id,
      version: '2.0.1',
      description: 'the info service',
      metadata: { site: 'north' },
    });
    expect(info.endpoints).toEqual([{ name: 'health', subject: subjects.health.check, queue_group: '' }]);
  });

  it('counts requests and errors on $SRV.STATS.<name>.<id>', async () => {
    const service = await startService('stats');
    const statsSubject = `${serviceApi.stats}.stats.${service.id}`;

    const before = await ask(statsSubject);
    expect(before.type).toBe('io.nats.micro.v1.stats_response');
    expect(before.started).toBe(service.startedAt.toISOString());
    expect(before.endpoints?.[0]).toMatchObject({ name: 'health', num_requests: 0, num_errors: 0, last_error: '' });

    // 1. three good requests, 2. one malformed, 3. one naming another service, which this instance ignores
    for (let i = 0; i < 3; i++) await request(client, subjects.health.check, { service: 'stats' });
    await client.nc.request(subjects.health.check, 'not json', { timeout: 5_000 });
    expect(await collect(client, subjects.health.check, { service: 'nobody' }, { maxWaitMs: 300 })).toEqual([]);

    const after = await ask(statsSubject);
    const health = after.endpoints?.find((e) => e.name === 'health');
    expect(health).toMatchObject({ subject: subjects.health.check, num_requests: 4, num_errors: 1 });
    expect(health?.last_error).toMatch(/^INVALID_REQUEST: /);
    expect(health?.processing_time).toEqual(expect.any(Number));
    expect(health?.average_processing_time).toEqual(expect.any(Number));
  });

  it('stops answering once the service stops', async () => {
    const service = await createService(host, { name: 'gone', version: '2.0.1' });
    await ask(`${serviceApi.ping}.gone`);
    await service.stop();
    const ping = client.nc.request(`${serviceApi.ping}.gone`, '', { timeout: 5_000 });
    await expect(ping).rejects.toThrow(/no responders/i);
    await expect(service.stop()).resolves.toBeUndefined();
  });
});
