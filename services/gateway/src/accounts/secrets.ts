import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random id or secret: `bytes` random bytes in base64url (256 bits by default). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 in hex: tokens are 256-bit random values, so a fast hash is enough (no password stretching needed). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two strings. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const tokenPattern = /^hth_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A new personal API token `hth_<id>_<secret>`: the id finds its record, the secret proves it. */
export function newApiToken(): { id: string; token: string } {
  const id = randomBytes(8).toString('hex');
  return { id, token: `hth_${id}_${randomSecret()}` };
}

/** The token id, or undefined when `token` is not shaped like one of ours. */
export function apiTokenId(token: string): string | undefined {
  return tokenPattern.exec(token)?.[1];
}

/** A strong generated password (24 characters of base64url, 144 bits). */
export function generatePassword(): string {
  return randomSecret(18);
}
