import { describe, expect, it } from 'vitest';
import { ErrorCodes, fromEnvelope, HearthError, isErrorCode, toEnvelope } from './errors.js';

describe('error envelopes', () => {
  it('carries a HearthError across the bus with its code, message and details', () => {
    const sent = new HearthError('NOT_FOUND', 'machine m-1 does not exist', { machineId: 'm-1' });
    const envelope = toEnvelope(sent);
    expect(envelope).toEqual({
      code: 'NOT_FOUND',
      message: 'machine m-1 does not exist',
      details: { machineId: 'm-1' },
    });

    const received = fromEnvelope(JSON.parse(JSON.stringify(envelope)), 'hearth.machines.get');
    expect(received).toBeInstanceOf(HearthError);
    expect(received.code).toBe('NOT_FOUND');
    expect(received.message).toBe('machine m-1 does not exist');
    expect(received.details).toEqual({ machineId: 'm-1', subject: 'hearth.machines.get' });
  });

  it('leaves details out of the envelope when the error has none', () => {
    expect(toEnvelope(new HearthError('TIMEOUT', 'slow'))).toEqual({ code: 'TIMEOUT', message: 'slow' });
  });

  it('adds the subject to details on receipt even when the envelope had none', () => {
    expect(fromEnvelope({ code: 'CONFLICT', message: 'changed' }, 'hearth.pools.resize').details).toEqual({
      subject: 'hearth.pools.resize',
    });
  });

  it('turns any other thrown value into INTERNAL without leaking its text', () => {
    const thrown = [new Error('password=hunter2 at db.internal:5432'), 'a string', { code: 'NOT_FOUND' }, undefined];
    for (const value of thrown) {
      expect(toEnvelope(value)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    }
  });

  it('reads an envelope with a code it does not know as INTERNAL, keeping the message', () => {
    const err = fromEnvelope({ code: 'FLUX_CAPACITOR', message: 'too little power', details: { gw: 1.21 } }, 's');
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('too little power');
    expect(err.details).toEqual({ gw: 1.21, subject: 's' });
  });

  it('recognises exactly the codes in the table', () => {
    for (const code of Object.keys(ErrorCodes)) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('not_found')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });

  it('keeps the cause of a HearthError for the logs, not for the envelope', () => {
    const cause = new Error('socket hang up');
    const err = new HearthError('UNAVAILABLE', 'cloud unreachable', undefined, { cause });
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('HearthError');
    expect(JSON.stringify(toEnvelope(err))).not.toContain('socket hang up');
  });
});
