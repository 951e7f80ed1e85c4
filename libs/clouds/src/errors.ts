/** What every cloud error carries; the pool manager branches on the class, never on text. */
export abstract class CloudError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    readonly cloud: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The cloud's quota is full: pause this cloud for this type. */
export class QuotaExceededError extends CloudError {
  readonly retryable = false;
}

/** The cloud has no capacity for this shape right now: send the load to another cloud now. */
export class CapacityError extends CloudError {
  readonly retryable = true;
}

/** A permanent configuration problem (unknown image or flavor): mark the type broken on this cloud. */
export class InvalidSpecError extends CloudError {
  readonly retryable = false;
}

/** Credentials refused. */
export class AuthError extends CloudError {
  readonly retryable = false;
}

/** The cloud cannot be reached or answered 5xx/throttled: retry later; counts against cloud health. */
export class CloudUnavailableError extends CloudError {
  readonly retryable = true;
}

/** The call was aborted through its signal before the cloud was asked. */
export class AbortedError extends CloudError {
  readonly retryable = true;
}

/** Throws an AbortedError, keeping the signal's reason as the cause, when the call's signal has already fired. */
export function throwIfAborted(cloud: string, doing: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(cloud, `${doing}: aborted`, { cause: signal.reason });
}
