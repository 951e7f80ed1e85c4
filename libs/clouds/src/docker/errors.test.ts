import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  AuthError,
  CapacityError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
} from '../errors.js';
import { classify, isRemovalInProgress } from './errors.js';

// Shaped as docker-modem rejects: an HTTP answer carries statusCode and the engine's JSON
// body; an unreachable engine gives a Node socket error. Messages are dockerd 20.10's own.
function answer(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) - ${message}`), { statusCode, json: { message } });
}

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const doing = 'launching machine m-1 on docker-local';

describe('docker error classification', () => {
  it.each([
    ['an unknown image', answer(404, 'No such image: hearth/nope:1'), InvalidSpecError],
    ['a bad parameter', answer(400, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'), InvalidSpecError],
    ['a taken container name', answer(409, 'Conflict. The container name "/m-1" is already in use by container "abc"'), InvalidSpecError],
    ['an entrypoint that cannot run', answer(500, 'OCI runtime create failed: exec: "sshd": executable file not found in $PATH'), InvalidSpecError],
    ['a full disk', answer(500, 'mkdir /var/lib/docker/overlay2/x: no space left on device'), CapacityError],
    ['a network removed under us', answer(404, 'network hearth-r1 not found'), CloudUnavailableError],
    ['an engine error', answer(500, 'containerd: connection error'), CloudUnavailableError],
    ['an authorization plugin refusal', answer(403, 'authorization denied by plugin'), AuthError],
    ['a stopped engine', socketError('ECONNREFUSED', 'connect ECONNREFUSED /var/run/docker.sock'), CloudUnavailableError],
    ['a missing socket', socketError('ENOENT', 'connect ENOENT /var/run/docker.sock'), CloudUnavailableError],
    ['a socket it may not open', socketError('EACCES', 'connect EACCES /var/run/docker.sock'), AuthError],
    ['an aborted request', Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), AbortedError],
  ])('classifies %s', (_what, err, type) => {
    const classified = classify(err, 'docker-local', doing);
    expect(classified).toBeInstanceOf(type);
    expect(classified.cloud).toBe('docker-local');
    expect(classified.message.startsWith(`${doing}: `)).toBe(true);
    expect(classified.cause).toBe(err);
  });

  it('marks unreachable and 5xx as retryable, spec problems as not', () => {
    expect(classify(answer(500, 'boom'), 'd', doing).retryable).toBe(true);
    expect(classify(socketError('ECONNREFUSED', 'refused'), 'd', doing).retryable).toBe(true);
    expect(classify(answer(404, 'No such image: x'), 'd', doing).retryable).toBe(false);
  });

  it("quotes the engine's words and status in the message", () => {
    expect(classify(answer(404, 'No such image: hearth/nope:1'), 'd', doing).message).toBe(
      `${doing}: No such image: hearth/nope:1 (docker 404)`,
    );
  });

  it('passes a CloudError through unchanged', () => {
    const original = new QuotaExceededError('d', 'already typed');
    expect(classify(original, 'd', doing)).toBe(original);
  });

  it('recognises a removal another terminate already started', () => {
    expect(isRemovalInProgress(answer(409, 'removal of container abc is already in progress'))).toBe(true);
    expect(isRemovalInProgress(answer(409, 'Conflict. The container name "/m-1" is already in use'))).toBe(false);
  });
});
