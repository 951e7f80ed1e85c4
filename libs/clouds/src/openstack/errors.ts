import {
  AbortedError,
  AuthError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
} from '../errors.js';
import { OpenStackHttpError, TransportError } from './http.js';

/** Nova's scheduler found no host for the flavor; synchronously or as an ERROR server's fault. */
export const noValidHost = /no valid host|not enough hosts available|insufficient (compute )?resources/i;

/** Quota text of Nova (403 "Quota exceeded for instances"), old Nova (413 overLimit) and Neutron (409 OverQuota). */
const quotaText = /quota|over ?limit/i;

/** 404 from the API: for describe, terminate and tag this means the server is gone. */
export function isNotFound(err: unknown): boolean {
  return err instanceof OpenStackHttpError && err.status === 404;
}

/**
 * Turns what the client rejected with into the CloudError the contract names. `doing` says
 * what was being done (`launching machine m-1 on os-a`) and leads the message; the original
 * error is the cause. Nothing outside this driver reads OpenStack's text.
 */
export function classify(err: unknown, cloud: string, doing: string): CloudError {
  if (err instanceof CloudError) return err;
  const say = (what: string): string => `${doing}: ${what}`;
  if (err instanceof TransportError) {
    if (err.kind === 'aborted') return new AbortedError(cloud, say('aborted'), { cause: err });
    return new CloudUnavailableError(cloud, say(err.message), { cause: err });
  }
  if (!(err instanceof OpenStackHttpError)) {
    const text = err instanceof Error ? err.message : String(err);
    return new CloudUnavailableError(cloud, say(`unexpected answer: ${text}`), { cause: err });
  }
  const { status, fault } = err;
  const what = `${fault} (${err.method} ${err.path}: ${status})`;
  switch (true) {
    case noValidHost.test(fault):
      return new CapacityError(cloud, say(what), { cause: err });
    case (status === 403 || status === 409 || status === 413) && quotaText.test(fault) && !/rate/i.test(fault):
      return new QuotaExceededError(cloud, say(what), { cause: err });
    case status === 401:
      return new AuthError(cloud, say(`credentials refused: ${what}`), { cause: err });
    case status === 403:
      return new AuthError(cloud, say(`not allowed: ${what}`), { cause: err });
    case status === 400 || status === 404:
      return new InvalidSpecError(cloud, say(what), { cause: err });
    case status === 429 || status === 413:
      return new CloudUnavailableError(cloud, say(`throttled: ${what}`), { cause: err });
    default:
      // 409 (a task in progress), 5xx: worth a retry later
      return new CloudUnavailableError(cloud, say(what), { cause: err });
  }
}
