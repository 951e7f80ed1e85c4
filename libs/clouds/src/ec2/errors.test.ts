import { describe, expect, it } from 'vitest';
import { AbortedError, AuthError, CapacityError, CloudUnavailableError, InvalidSpecError, QuotaExceededError } from '../errors.js';
import { classify, isInstanceNotFound, isRetryable } from './errors.js';

// Shaped as the AWS SDK rejects: a service exception named after EC2's error code with the
// HTTP status in $metadata, or a Node socket error when EC2 never answered.
function answer(code: string, status: number, message = `${code} happened`): Error {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

const doing = 'launching machine m-1 on aws-eu';

describe('ec2 error classification', () => {
  it.each([
    [answer('InsufficientInstanceCapacity', 500), CapacityError],
    [answer('InsufficientFreeAddressesInSubnet', 400), CapacityError],
    [answer('InstanceLimitExceeded', 400), QuotaExceededError],
    [answer('VcpuLimitExceeded', 400), QuotaExceededError],
    [answer('Unsupported', 400), InvalidSpecError],
    [answer('InvalidAMIID.NotFound', 400), InvalidSpecError],
    [answer('InvalidAMIID.Malformed', 400), InvalidSpecError],
    [answer('InvalidParameterValue', 400), InvalidSpecError],
    [answer('InvalidGroup.NotFound', 400), InvalidSpecError],
    [answer('IdempotentParameterMismatch', 400), InvalidSpecError],
    [answer('AuthFailure', 401), AuthError],
    [answer('UnauthorizedOperation', 403), AuthError],
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), AuthError],
    [answer('RequestLimitExceeded', 503), CloudUnavailableError],
    [answer('InternalError', 500), CloudUnavailableError],
    [answer('SomethingNew', 502), CloudUnavailableError],
    [socketError('ECONNREFUSED'), CloudUnavailableError],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), AbortedError],
  ])('classifies %s', (err, type) => {
    const classified = classify(err, 'aws-eu', doing);
    expect(classified).toBeInstanceOf(type);
    expect(classified.cloud).toBe('aws-eu');
    expect(classified.cause).toBe(err);
    expect(classified.message.startsWith(doing)).toBe(true);
  });

  it('retries throttling, 502-504 and dropped connections, not capacity or client errors', () => {
    expect(isRetryable(answer('RequestLimitExceeded', 503))).toBe(true);
    expect(isRetryable(answer('InternalError', 500))).toBe(true);
    expect(isRetryable(answer('Whatever', 504))).toBe(true);
    expect(isRetryable(socketError('ECONNRESET'))).toBe(true);
    expect(isRetryable(answer('InsufficientInstanceCapacity', 500))).toBe(false);
    expect(isRetryable(answer('InvalidParameterValue', 400))).toBe(false);
    expect(isRetryable(answer('AuthFailure', 401))).toBe(false);
  });

  it('treats unknown and malformed instance ids as not found', () => {
    expect(isInstanceNotFound(answer('InvalidInstanceID.NotFound', 400))).toBe(true);
    expect(isInstanceNotFound(answer('InvalidInstanceID.Malformed', 400))).toBe(true);
    expect(isInstanceNotFound(answer('InvalidAMIID.NotFound', 400))).toBe(false);
  });
});
