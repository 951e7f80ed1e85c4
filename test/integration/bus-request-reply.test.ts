import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  checkHealth,
  collect,
  createService,
  HealthReport,
  HearthError,
  request,
  requestIdHeader,
  serve,
  subjects,
  type Bus,
  type ErrorEnvelope,
  type Service,
} from '@hearth/bus';
import { schemaIssues } from '@hearth/config';
import { connectPair, hearthError } from '../helpers/bus.js';
import { startNatsServer, type TestNatsServer } from '@hearth/testkit';

let nats: TestNatsServer;
/** The connection the services under test live on. */
let host: Bus;
/** A separate connection that plays the caller. */
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

/** A registered service instance, stopped when the test ends. */
async function startService(name: string): Promise<Service> {
  const service = await createService(host, { name, version: '1.2.3', description: `test service ${name}` });
  onTestFinished(() => service.stop());
  return service;
}

/** The HearthError `promise` rejects with (fails the test when it resolves or rejects with anything else). */

/** Sends raw bytes, as a client that does not use libs/bus would. */
async function rawRequest(body: string, headers?: Record<string, string>): Promise<Msg> {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(headers ?? {})) h.set(key, value);
  return client.nc.request(subjects.health.check, body, { timeout: 5_000, headers: h });
}

describe('health endpoint', () => {
  it('answers a health check with a valid HealthReport', async () => {
    const service = await startService('alpha');
    const report = await request(client, subjects.health.check, {});
    expect(schemaIssues(HealthReport, report)).toEqual([]);
    expect(report).toMatchObject({ name: 'alpha', id: service.id, version: '1.2.3', healthy: true, pid: process.pid });
    expect(report.checks).toContainEqual({ name: 'nats', ok: true });
  });

  it('reports unhealthy while a probe fails, and says which and why', async () => {
    const service = await startService('beta');
    service.addHealthCheck('disk', () => ({ ok: true }));
    service.addHealthCheck('db', () => ({ ok: false, detail: 'connection refused' }));
    service.addHealthCheck('cloud', () => {
      throw new Error('token expired');
    });
    const report = await request(client, subjects.health.check, { service: 'beta' });
    expect(report.healthy).toBe(false);
    expect(report.checks).toEqual([
      { name: 'nats', ok: true },
      { name: 'disk', ok: true },
      { name: 'db', ok: false, detail: 'connection refused' },
      { name: 'cloud', ok: false, detail: 'token expired' },
    ]);
  });

  it('gathers one report from every instance, and only from the named service when asked', async () => {
    const web1 = await startService('web');
    const web2 = await startService('web');
    const api = await startService('api');

    const all = await checkHealth(client);
    expect(all.map((r) => r.name)).toEqual(['api', 'web', 'web']);
    // instances of one service in id order, as checkHealth sorts them (localeCompare, not code units: ids mix cases)
    expect(all.map((r) => r.id)).toEqual([api.id, ...[web1.id, web2.id].sort((a, b) => a.localeCompare(b))]);

    const web = await checkHealth(client, { service: 'web' });
    expect(web.map((r) => r.id).sort()).toEqual([web1.id, web2.id].sort());

    const raw = await collect(client, subjects.health.check, { service: 'api' });
    expect(raw).toHaveLength(1);
    expect(raw[0]?.id).toBe(api.id);
  });

  it('carries the caller\'s request id into the reply', async () => {
    await startService('gamma');
    const reply = await rawRequest('{}', { [requestIdHeader]: 'req-42' });
    expect(reply.headers?.get(requestIdHeader)).toBe('req-42');
  });
});

describe('request validation', () => {
  it('answers a request that is not JSON with INVALID_REQUEST and a 400 error header', async () => {
    await startService('delta');
    const reply = await rawRequest('not json');
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(reply.headers?.get('Nats-Service-Error')).toContain('not valid JSON');
    const envelope = reply.json<ErrorEnvelope>();
    expect(envelope.code).toBe('INVALID_REQUEST');
    expect(envelope.details?.['issues']).toEqual([{ path: '', message: 'expected a JSON document' }]);
  });

  it('answers a malformed request with INVALID_REQUEST naming the field', async () => {
    await startService('epsilon');
    const reply = await rawRequest(JSON.stringify({ service: 5 }));
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    const envelope = reply.json<ErrorEnvelope>();
    expect(envelope.code).toBe('INVALID_REQUEST');
    expect(envelope.details?.['issues']).toEqual([{ path: 'service', message: 'expected string, got 5' }]);
  });

  it('names an unknown field in a request', async () => {
    await startService('zeta');
    const envelope = (await rawRequest(JSON.stringify({ colour: 'red' }))).json<ErrorEnvelope>();
    expect(envelope.details?.['issues']).toEqual([
      { path: 'colour', message: 'unknown key (expected one of: service)' },
    ]);
  });

  it('refuses to send a request that breaks its schema', async () => {
    const bad = { service: 5 } as unknown as { service?: string };
    const err = await hearthError(request(client, subjects.health.check, bad));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.details?.['issues']).toEqual([{ path: 'service', message: 'expected string, got 5' }]);
  });
});

describe('handler failures', () => {
  /** Serves the health subject on `service` for requests naming `name`, with `handler`. */
  async function serveFailing(name: string, handler: () => HealthReport): Promise<Service> {
    const service = await startService(`${name}-host`);
    serve(service, subjects.health.check, handler, { accepts: (req) => req.service === name, endpointName: name });
    await host.nc.flush();
    return service;
  }

  it('passes a HearthError thrown by a handler to the caller with its code and details', async () => {
    await serveFailing('lost', () => {
      throw new HearthError('NOT_FOUND', 'pool gpu.a does not exist', { pool: 'gpu.a' });
    });
    const err = await hearthError(request(client, subjects.health.check, { service: 'lost' }));
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'pool gpu.a does not exist' });
    expect(err.details).toEqual({ pool: 'gpu.a', subject: subjects.health.check });
    const raw = await rawRequest(JSON.stringify({ service: 'lost' }));
    expect(raw.headers?.get('Nats-Service-Error-Code')).toBe('404');
  });

  it('answers INTERNAL for any other thrown error, without its text', async () => {
    await serveFailing('crash', () => {
      throw new Error('db password=hunter2 rejected');
    });
    const err = await hearthError(request(client, subjects.health.check, { service: 'crash' }));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('internal error');
  });

  it('answers INTERNAL, and keeps serving, when the accepts filter itself throws', async () => {
    const service = await startService('picky-host');
    serve(service, subjects.health.check, () => service.health(), {
      accepts: (req) => {
        if (req.service === 'picky') throw new Error('filter broke');
        return false;
      },
      endpointName: 'picky',
    });
    await host.nc.flush();
    const err = await hearthError(request(client, subjects.health.check, { service: 'picky' }));
    expect(err.code).toBe('INTERNAL');
    // the process is still up and the other endpoints still answer
    expect((await request(client, subjects.health.check, {})).name).toBeTruthy();
  });

  it('answers INTERNAL when the handler\'s reply breaks the reply schema', async () => {
    await serveFailing('sloppy', () => ({ name: 'sloppy' }) as unknown as HealthReport);
    const err = await hearthError(request(client, subjects.health.check, { service: 'sloppy' }));
    expect(err.code).toBe('INTERNAL');
  });
});

describe('caller side', () => {
  it('rejects with NO_RESPONDERS when nobody serves the subject', async () => {
    const err = await hearthError(request(client, subjects.health.check, {}));
    expect(err.code).toBe('NO_RESPONDERS');
    expect(await collect(client, subjects.health.check, {})).toEqual([]);
  });

  it('with waitForResponderMs, waits for a responder that comes, and gives up on one that does not', async () => {
    // a service that starts 300 ms after the request was sent (a replica taking over)
    const later = setTimeout(() => void startService('late-comer'), 300);
    onTestFinished(() => clearTimeout(later));
    const report = await request(client, subjects.health.check, { service: 'late-comer' }, { waitForResponderMs: 5_000 });
    expect(report.name).toBe('late-comer');
    // nobody serves this one: NO_RESPONDERS once the wait is over
    const err = await hearthError(request(client, subjects.machines.types, {}, { waitForResponderMs: 200 }));
    expect(err.code).toBe('NO_RESPONDERS');
  });

  it('rejects with TIMEOUT when a listener never answers', async () => {
    const sub = host.nc.subscribe(subjects.health.check, { callback: () => undefined });
    onTestFinished(() => sub.unsubscribe());
    await host.nc.flush();
    const err = await hearthError(request(client, subjects.health.check, {}, { timeoutMs: 200 }));
    expect(err.code).toBe('TIMEOUT');
  });

  it('turns an error reply from a foreign responder into a HearthError with its code', async () => {
    const sub = host.nc.subscribe(subjects.health.check, {
      callback: (_err, msg) => {
        const h = natsHeaders();
        h.set('Nats-Service-Error-Code', '409');
        msg.respond(JSON.stringify({ code: 'CONFLICT', message: 'changed under you' }), { headers: h });
      },
    });
    onTestFinished(() => sub.unsubscribe());
    await host.nc.flush();
    const err = await hearthError(request(client, subjects.health.check, {}));
    expect(err).toMatchObject({ code: 'CONFLICT', message: 'changed under you' });
  });

  it('rejects a reply that breaks the reply schema with INTERNAL naming the field', async () => {
    const sub = host.nc.subscribe(subjects.health.check, {
      callback: (_err, msg) => {
        msg.respond(JSON.stringify({ name: 7 }));
      },
    });
    onTestFinished(() => sub.unsubscribe());
    await host.nc.flush();
    const err = await hearthError(request(client, subjects.health.check, {}));
    expect(err.code).toBe('INTERNAL');
    expect(err.details?.['issues']).toContainEqual({ path: 'name', message: 'expected string, got 7' });
  });
});
