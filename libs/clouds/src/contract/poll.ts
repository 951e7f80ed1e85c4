/** Options of pollUntil. */
export interface PollOptions {
  /** What is awaited, for the failure message: `instance i-1 running`. */
  what: string;
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between checks; 100 ms when absent. */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than undefined or false, and returns that.
 * An error thrown by `check` counts as "not yet" (a cloud may briefly not know an instance it
 * just made). On timeout it fails with `what` and the last value or error seen, so a failure
 * says what was awaited and how far it got. This is the contract suite's only way to wait.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined | false>,
  opts: PollOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown = 'nothing yet';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}; last seen: ${show(last)}`, {
        cause: last instanceof Error ? last : undefined,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 100));
  }
}

/** A short text for whatever was last seen: an error's name and message, or JSON. */
export function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
