import {
  AbortedError,
  AuthError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
} from '../errors.js';
import { OwnerTag, type LaunchSpec } from '../driver.js';
import type { Usage } from './store.js';

/** The ways a sim launch can be told to fail (SimCloud.failNextLaunch). */
export const SimFault = { Quota: 'quota', Capacity: 'capacity', Unavailable: 'unavailable', Auth: 'auth' } as const;
export type SimFault = (typeof SimFault)[keyof typeof SimFault];

/** The typed error a real driver would raise for this fault; `doing` says what was being done. */
export function faultError(fault: SimFault, cloud: string, doing: string): CloudError {
  switch (fault) {
    case SimFault.Quota:
      return new QuotaExceededError(cloud, `${doing}: quota exceeded (injected fault)`);
    case SimFault.Capacity:
      return new CapacityError(cloud, `${doing}: no capacity for this shape (injected fault)`);
    case SimFault.Unavailable:
      return new CloudUnavailableError(cloud, `${doing}: cloud unavailable (injected fault)`);
    case SimFault.Auth:
      return new AuthError(cloud, `${doing}: credentials refused (injected fault)`);
  }
}

/** An AbortedError for a call whose signal fired, keeping the signal's reason as the cause. */
export function abortedError(cloud: string, doing: string, signal: AbortSignal): AbortedError {
  return new AbortedError(cloud, `${doing}: aborted`, { cause: signal.reason });
}

/**
 * What a real cloud rejects as a bad request: an image it does not have, a shape it cannot
 * make, or (stricter than a real cloud, to catch callers' mistakes) missing owner tags.
 */
export function specProblem(spec: LaunchSpec, images: ReadonlySet<string>): string | undefined {
  if (!images.has(spec.image)) return `unknown image "${spec.image}"`;
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1) return `cpus must be a whole number >= 1, got ${spec.cpus}`;
  if (!(spec.memoryMb > 0)) return `memoryMb must be above 0, got ${spec.memoryMb}`;
  if (!spec.tags[OwnerTag.Installation]) return `tags lack ${OwnerTag.Installation}`;
  if (!spec.tags[OwnerTag.Machine]) return `tags lack ${OwnerTag.Machine}`;
  return undefined;
}

/** The InvalidSpecError for a problem found by specProblem. */
export function invalidSpecError(cloud: string, doing: string, problem: string): InvalidSpecError {
  return new InvalidSpecError(cloud, `${doing}: ${problem}`);
}

/** The first limit a launch of this shape would break, worded as `instances 50/50`, or undefined. */
export function quotaProblem(
  used: Usage,
  limits: Readonly<Usage>,
  shape: { cpus: number; memoryMb: number },
): string | undefined {
  if (used.instances + 1 > limits.instances) return `instances ${used.instances}/${limits.instances}`;
  if (used.cores + shape.cpus > limits.cores) return `cores ${used.cores}+${shape.cpus}/${limits.cores}`;
  if (used.ramMb + shape.memoryMb > limits.ramMb) return `ramMb ${used.ramMb}+${shape.memoryMb}/${limits.ramMb}`;
  return undefined;
}
