import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through at once, then makes the next call wait for a token', async () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 2, () => now);
    await bucket.take();
    await bucket.take();
    let third = false;
    const waiting = bucket.take().then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false);
    expect(bucket.queued).toBe(1);
    now = 5; // five tokens' worth of time passes
    await waiting;
    expect(bucket.queued).toBe(0);
  });

  it('drops a waiting call whose signal aborts', async () => {
    const bucket = new TokenBucket(0.001, 1, () => 0);
    await bucket.take();
    const abort = new AbortController();
    const waiting = bucket.take(abort.signal);
    abort.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    expect(bucket.queued).toBe(0);
  });
});
