import Type, { type Static } from 'typebox';
import { LoginName, SshPublicKey } from '@hearth/bus';

export const Role = Type.Union([Type.Literal('scientist'), Type.Literal('admin')], { description: 'scientist or admin' });
export type Role = Static<typeof Role>;

/** KV `users`, key = name. */
export const UserRecord = Type.Object({
  name: LoginName,
  role: Role,
  /** `scrypt$N$r$p$salt$key`, see passwords.ts. */
  passwordHash: Type.String(),
  disabled: Type.Boolean(),
  sshPublicKey: Type.Optional(SshPublicKey),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  /** Made by the gateway at its first start (the first admin). */
  bootstrap: Type.Optional(Type.Boolean()),
});
export type UserRecord = Static<typeof UserRecord>;

/** KV `sessions`, key = session id (the cookie value). The bucket's TTL removes old ones. */
export const SessionRecord = Type.Object({
  id: Type.String(),
  user: Type.String(),
  csrfToken: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
});
export type SessionRecord = Static<typeof SessionRecord>;

/**
 * KV `login_attempts`, key = an account or an address (base64url): the password checks of the
 * current window, counted by every gateway together, so that N gateways do not allow N times
 * the guesses.
 */
export const LoginAttempts = Type.Object({
  /** When the window began, ms since epoch. */
  windowStart: Type.Integer(),
  count: Type.Integer({ minimum: 1 }),
});
export type LoginAttempts = Static<typeof LoginAttempts>;

/** KV `tokens`, key = token id. Only the SHA-256 of the token is kept. */
export const TokenRecord = Type.Object({
  id: Type.String(),
  user: Type.String(),
  name: Type.String(),
  sha256: Type.String(),
  createdAt: Type.Integer(),
  lastUsedAt: Type.Optional(Type.Integer()),
  /** After this the token is refused (tokens made before expiry existed have none). */
  expiresAt: Type.Optional(Type.Integer()),
});
export type TokenRecord = Static<typeof TokenRecord>;
