import { Ec2ApiError, statusOfCode } from './account.js';

/** What the fault controls decide for one request before the fake handles it. */
export type FaultDecision = { fail: Ec2ApiError } | { drop: boolean };

/**
 * Failures a real EC2 will not produce on demand. Counted faults are used up one request at a
 * time, in arming order: launch failures by RunInstances request, throttling and 5xx by any
 * request. `reset()` clears them all (the account's instances stay).
 */
export class Ec2Faults {
  /** Added before every answer. */
  latencyMs = 0;
  #launches: Ec2ApiError[] = [];
  #throttled = 0;
  #throttleAfter = 0;
  #serverErrors: Ec2ApiError[] = [];
  #outage = false;
  #drops = new Map<string, number>();

  /** The next `count` RunInstances requests fail with `code` (status as EC2 answers it). */
  failLaunches(code: string, count = 1, message = `injected ${code}`): void {
    for (let i = 0; i < count; i += 1) this.#launches.push(new Ec2ApiError(code, message, statusOfCode(code)));
  }

  /** After `after` more requests, the next `count` requests of any action answer 503 RequestLimitExceeded. */
  throttle(count: number, after = 0): void {
    this.#throttled += count;
    this.#throttleAfter = after;
  }

  /** The next `count` requests of any action answer `code` with `status` (500 InternalError by default). */
  serverErrors(count: number, code = 'InternalError', status = statusOfCode(code)): void {
    for (let i = 0; i < count; i += 1) this.#serverErrors.push(new Ec2ApiError(code, `injected ${code}`, status));
  }

  /** Every request answers 503 Unavailable until outage(false) or reset(). */
  outage(on: boolean): void {
    this.#outage = on;
  }

  /** The next `count` requests of `action` are carried out, but the connection is cut instead of answered. */
  dropResponses(action: string, count = 1): void {
    this.#drops.set(action, (this.#drops.get(action) ?? 0) + count);
  }

  reset(): void {
    this.latencyMs = 0;
    this.#launches = [];
    this.#throttled = 0;
    this.#throttleAfter = 0;
    this.#serverErrors = [];
    this.#outage = false;
    this.#drops.clear();
  }

  /** Uses up the fault (if any) that applies to one request of `action`. */
  decide(action: string): FaultDecision {
    if (this.#outage) return { fail: new Ec2ApiError('Unavailable', 'The service is unavailable. Please try again shortly.', 503) };
    if (this.#throttled > 0 && this.#throttleAfter > 0) this.#throttleAfter -= 1;
    else if (this.#throttled > 0) {
      this.#throttled -= 1;
      return { fail: new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503) };
    }
    const serverError = this.#serverErrors.shift();
    if (serverError) return { fail: serverError };
    if (action === 'RunInstances') {
      const launch = this.#launches.shift();
      if (launch) return { fail: launch };
    }
    const drops = this.#drops.get(action) ?? 0;
    if (drops > 0) this.#drops.set(action, drops - 1);
    return { drop: drops > 0 };
  }
}
