import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.js';
import { redactLine } from './redact.js';

/** A logger writing into an array of parsed lines. */
function capture(): { lines: Record<string, unknown>[]; raw: string[]; log: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter((l) => l !== '')) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, log: createLogger({ service: 'test', destination }) };
}

describe('secrets in log lines', () => {
  it('are censored at the top level, nested at any depth, in arrays, and in a child logger\'s bindings', () => {
    const { lines, raw, log } = capture();
    log.info({ password: 'hunter2', user: 'ada' }, 'login');
    log.info({ nats: { url: 'nats://x', pass: 'natspw', token: 'nt' } }, 'config');
    log.info({ req: { headers: { authorization: 'Bearer hth_abc', cookie: 'hearth_session=s', accept: 'json' } } }, 'request');
    log.info({ body: { items: [{ secret: 's1' }, { privateKey: '-----BEGIN' }] } }, 'deep');
    log.child({ token: 'child-token', machineId: 'm-1' }).info('bound');
    expect(lines[0]).toMatchObject({ password: '[redacted]', user: 'ada', msg: 'login' });
    expect(lines[1]).toMatchObject({ nats: { url: 'nats://x', pass: '[redacted]', token: '[redacted]' } });
    expect(lines[2]).toMatchObject({ req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'json' } } });
    expect(lines[3]).toMatchObject({ body: { items: [{ secret: '[redacted]' }, { privateKey: '[redacted]' }] } });
    expect(lines[4]).toMatchObject({ token: '[redacted]', machineId: 'm-1', msg: 'bound' });
    for (const secret of ['hunter2', 'natspw', 'hth_abc', 'hearth_session', 's1', 'BEGIN', 'child-token']) {
      expect(raw.join('\n')).not.toContain(secret);
    }
  });

  it('covers what serializers produce, such as an error\'s own fields', () => {
    const { lines, log } = capture();
    log.error({ err: Object.assign(new Error('refused'), { credentials: { key: 'k' } }) }, 'call failed');
    expect(lines[0]).toMatchObject({ err: { message: 'refused', credentials: '[redacted]' } });
  });

  it('leave a line without secrets as it was, and do not change what was logged', () => {
    const { lines, raw, log } = capture();
    const logged = { machineId: 'm-2', note: 'the word "password" in a message is not a key' };
    log.info(logged, 'plain');
    expect(lines[0]).toMatchObject(logged);
    expect(logged.note).toContain('"password"');
    const line = `${raw[0] ?? ''}\n`;
    expect(redactLine(line)).toBe(line);
    const secretive = { token: 't' };
    log.info(secretive, 'secretive');
    expect(secretive.token).toBe('t');
  });

  it('withholds a line that may hold a secret but is not JSON', () => {
    expect(redactLine('"password": hunter2\n')).not.toContain('hunter2');
  });
});
