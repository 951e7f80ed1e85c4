import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@hearth/log';
import type { CallOptions } from '../driver.js';
import { AbortedError, CloudUnavailableError } from '../errors.js';
import { classify, errorCode, isRetryable, isThrottling, statusOf } from './errors.js';

/** How one call is bounded: a deadline for the whole call and a number of sends within it. */
export interface CallPolicy {
  cloud: string;
  /** The deadline of one call, back-off pauses included. */
  timeoutMs: number;
  /** Sends of one request at most (1 = no retry). */
  maxAttempts: number;
  /** First pause after a throttled answer; doubled on each retry, with full jitter. */
  throttleBaseDelayMs: number;
  /** First pause after a 5xx or a dropped connection. */
  errorBaseDelayMs: number;
  /** No single pause is longer. */
  maxDelayMs: number;
  log: Logger;
}

/** Back-off of the Query API troubleshooting guide ("use exponential backoff retries"). */
export const defaultBackoff = { throttleBaseDelayMs: 500, errorBaseDelayMs: 100, maxDelayMs: 5_000 } as const;

/**
 * Runs one EC2 API call: `send` gets a signal that fires at the caller's abort or at the
 * deadline, whichever is first. Throttling (RequestLimitExceeded), 502-504 and dropped
 * connections are sent again after an exponential, jittered pause, up to `maxAttempts` sends
 * in all; this is the only waiting the driver does, and it is bounded by the deadline.
 * Every other failure is classified at once.
 * @throws AbortedError when the caller's signal fired; CloudUnavailableError at the deadline
 *   or when retries ran out; the classified CloudError otherwise.
 */
export async function callEc2<T>(
  policy: CallPolicy,
  doing: string,
  opts: CallOptions | undefined,
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const caller = opts?.signal;
  if (caller?.aborted) throw new AbortedError(policy.cloud, `${doing}: aborted`, { cause: caller.reason });
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const signal = caller ? AbortSignal.any([caller, deadline]) : deadline;
  const log = opts?.log ?? policy.log;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send(signal);
    } catch (err) {
      const stopped = stoppedBy(policy, doing, caller, deadline, err);
      if (stopped) throw stopped;
      if (attempt >= policy.maxAttempts || !isRetryable(err)) throw classify(err, policy.cloud, doing);
      const delayMs = backoffMs(policy, attempt, isThrottling(err));
      log.debug({ cloud: policy.cloud, attempt, code: errorCode(err), status: statusOf(err), delayMs }, 'EC2 call failed; retrying');
      try {
        await sleep(delayMs, undefined, { signal });
      } catch (pause) {
        throw stoppedBy(policy, doing, caller, deadline, pause) ?? classify(err, policy.cloud, doing);
      }
    }
  }
}

/** The error to end with when the caller aborted or the deadline passed; undefined when neither. */
function stoppedBy(
  policy: CallPolicy,
  doing: string,
  caller: AbortSignal | undefined,
  deadline: AbortSignal,
  err: unknown,
): AbortedError | CloudUnavailableError | undefined {
  if (caller?.aborted) return new AbortedError(policy.cloud, `${doing}: aborted`, { cause: err });
  if (deadline.aborted) {
    return new CloudUnavailableError(policy.cloud, `${doing}: no answer within ${policy.timeoutMs} ms`, { cause: err });
  }
  return undefined;
}

/** Equal jitter: between half and all of base × 2^(attempt-1), capped, so a throttled caller always pauses. */
export function backoffMs(policy: Pick<CallPolicy, 'throttleBaseDelayMs' | 'errorBaseDelayMs' | 'maxDelayMs'>, attempt: number, throttled: boolean): number {
  const base = throttled ? policy.throttleBaseDelayMs : policy.errorBaseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
