import {
  AbortedError,
  AuthError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
} from '../errors.js';

/**
 * What docker-modem rejects with: an Error with the HTTP status and the engine's JSON body
 * ({ message }) for an answer outside the call's expected codes, or a Node socket error
 * (code ECONNREFUSED, ENOENT, EACCES, …) when the engine could not be reached at all.
 */
interface EngineFailure {
  statusCode?: number;
  json?: unknown;
  code?: string;
  name?: string;
  message?: string;
}

function failureOf(err: unknown): EngineFailure {
  return typeof err === 'object' && err !== null ? (err as EngineFailure) : { message: String(err) };
}

/** The engine's own words (its JSON `message`), else the error's message. */
export function engineMessage(err: unknown): string {
  const failure = failureOf(err);
  const json = failure.json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return (failure.message ?? 'unknown error').trim();
}

/** The HTTP status the engine answered with, or undefined when it did not answer. */
export function statusOf(err: unknown): number | undefined {
  return failureOf(err).statusCode;
}

/** 404: the container, volume or network does not exist (for describe and terminate: gone). */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** 409 "removal of container … is already in progress": another terminate got there first. */
export function isRemovalInProgress(err: unknown): boolean {
  return statusOf(err) === 409 && /already in progress/i.test(engineMessage(err));
}

/** 409 on volume removal: the volume is in use or being removed. */
export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

/** Socket errors that mean the engine is down, restarting or unreachable: retry later. */
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/** Out of disk or memory on the host: this engine has no room for the machine now. */
const noRoom = /no space left on device|cannot allocate memory|out of memory/i;

/** The image's entrypoint cannot be run: a broken image, which no retry fixes. */
const brokenEntrypoint = /executable file not found|exec format error|exec: .*no such file or directory/i;

/**
 * Turns whatever the Engine API call rejected with into the CloudError the contract names.
 * `doing` says what was being done (`launching machine m-1 on docker-local`) and leads the
 * message; the original error is the cause. Nothing outside this driver reads Docker's text.
 */
export function classify(err: unknown, cloud: string, doing: string): CloudError {
  if (err instanceof CloudError) return err;
  const failure = failureOf(err);
  const text = engineMessage(err);
  const say = (what: string): string => `${doing}: ${what}`;
  if (failure.name === 'AbortError' || failure.code === 'ABORT_ERR') {
    return new AbortedError(cloud, say('aborted'), { cause: err });
  }
  const status = failure.statusCode;
  if (status === undefined) {
    if (failure.code === 'EACCES' || failure.code === 'EPERM') {
      return new AuthError(cloud, say(`permission denied on the docker socket (${text})`), { cause: err });
    }
    const reason = failure.code && unreachableCodes.has(failure.code) ? `docker engine unreachable (${text})` : text;
    return new CloudUnavailableError(cloud, say(reason), { cause: err });
  }
  const what = `${text} (docker ${status})`;
  switch (true) {
    case status === 400:
      return new InvalidSpecError(cloud, say(what), { cause: err });
    case status === 401 || status === 403:
      return new AuthError(cloud, say(what), { cause: err });
    case status === 404 && /no such image/i.test(text):
      return new InvalidSpecError(cloud, say(what), { cause: err });
    case status === 409 && /already in use/i.test(text):
      // a container already has this machine's name: launching the same machine id again can never succeed
      return new InvalidSpecError(cloud, say(`a container for this machine already exists: ${what}`), { cause: err });
    case status >= 500 && noRoom.test(text):
      return new CapacityError(cloud, say(what), { cause: err });
    case status >= 400 && brokenEntrypoint.test(text):
      return new InvalidSpecError(cloud, say(what), { cause: err });
    default:
      // 404 of a network removed under us, 409 of a container mid-removal, 429, 5xx: worth a retry
      return new CloudUnavailableError(cloud, say(what), { cause: err });
  }
}
