import { describe, expect, it } from 'vitest';
import { apiTokenId, newApiToken, sameSecret, sha256 } from './secrets.js';

describe('API tokens', () => {
  it('are hth_<16 hex id>_<256-bit secret>, and the id is read back from the token', () => {
    const { id, token } = newApiToken();
    expect(token).toMatch(/^hth_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiTokenId(token)).toBe(id);
    expect(newApiToken().token).not.toBe(token);
  });

  it('reads no id from anything else', () => {
    for (const text of ['', 'hth_', 'hth_0123456789abcdef_short', `hth_0123456789ABCDEF_${'a'.repeat(43)}`, `xyz_0123456789abcdef_${'a'.repeat(43)}`]) {
      expect(apiTokenId(text)).toBeUndefined();
    }
  });

  it('compares secrets whole', () => {
    expect(sameSecret(sha256('a'), sha256('a'))).toBe(true);
    expect(sameSecret(sha256('a'), sha256('b'))).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });
});
