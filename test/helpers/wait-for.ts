/**
 * Polls `check` until it returns a truthy value (which is returned) or the time is up.
 * On timeout it fails with `what` and the last value or error seen, so a failure says
 * what was awaited and how far it got.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? `${last.name}: ${last.message}` : JSON.stringify(last);
      throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 50));
  }
}
