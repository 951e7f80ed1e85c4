import { buckets, HearthError, KvIndex, openKv, type Bus, type Revisioned, type TypedKv } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import { LoginAttempts, SessionRecord, TokenRecord, UserRecord, type Role } from './records.js';
import { apiTokenId, newApiToken, randomSecret, sameSecret, sha256 } from './secrets.js';

/** lastUsedAt is written at most this often per token, after the answer: a KV write per API call would cost more than the call. */
const lastUsedResolutionMs = 60_000;

/**
 * Accounts in NATS KV: users (`users`), portal sessions (`sessions`), personal API
 * tokens (`tokens`) and the sign-in attempts every gateway counts together
 * (`login_attempts`). Nothing secret is stored in the clear: passwords as scrypt hashes,
 * tokens as SHA-256. Every user change is a compare-and-set, so two gateways editing one
 * user cannot lose a write.
 *
 * Users and tokens are also held in memory, fed by a KV watch, so checking a Bearer token
 * costs no round trip: a revoke or a disabled user made on any gateway reaches every other
 * within milliseconds, and this gateway's own changes apply at once. A name or token id
 * not (yet) in memory, e.g. made a moment ago on another gateway, is read from KV.
 */
export class AccountStore {
  /** Token id → when this gateway last wrote its lastUsedAt. */
  private readonly noted = new Map<string, number>();
  /** lastUsedAt writes under way, so a listing made right after a call shows it. */
  private readonly noting = new Set<Promise<void>>();

  private constructor(
    private readonly users: TypedKv<typeof UserRecord>,
    private readonly sessions: TypedKv<typeof SessionRecord>,
    private readonly tokens: TypedKv<typeof TokenRecord>,
    private readonly knownUsers: KvIndex<typeof UserRecord>,
    private readonly knownTokens: KvIndex<typeof TokenRecord>,
    /** Sign-in attempts per account and per address, for the login rate limit. */
    readonly loginAttempts: TypedKv<typeof LoginAttempts>,
  ) {}

  /** Opens the buckets; resolves once every user and token is in memory. */
  static async open(bus: Bus, log?: Logger): Promise<AccountStore> {
    const users = await openKv(bus, buckets.users, UserRecord);
    const tokens = await openKv(bus, buckets.tokens, TokenRecord);
    const invalid = (bucket: string) => (key: string, err: unknown) => log?.error({ err, bucket, key }, 'unreadable account record left out');
    return new AccountStore(
      users,
      await openKv(bus, buckets.sessions, SessionRecord),
      tokens,
      await KvIndex.open(users, invalid('users')),
      await KvIndex.open(tokens, invalid('tokens')),
      await openKv(bus, buckets.logins, LoginAttempts),
    );
  }

  /** Stops watching the buckets. */
  stop(): void {
    this.knownUsers.stop();
    this.knownTokens.stop();
  }

  async user(name: string): Promise<UserRecord | undefined> {
    return this.knownUsers.get(name)?.value ?? (await this.users.get(name))?.value;
  }

  async listUsers(): Promise<UserRecord[]> {
    const names = await this.users.keys();
    const records = await Promise.all(names.map((n) => this.user(n)));
    return records.filter((u): u is UserRecord => u !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.listUsers()).some((u) => u.role === 'admin' && !u.disabled);
  }

  /** @throws HearthError CONFLICT when the name is taken. */
  async createUser(input: { name: string; password: string; role: Role; bootstrap?: boolean }): Promise<UserRecord> {
    const now = Date.now();
    const record: UserRecord = {
      name: input.name,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      disabled: false,
      createdAt: now,
      updatedAt: now,
      ...(input.bootstrap ? { bootstrap: true } : {}),
    };
    try {
      this.knownUsers.apply({ key: input.name, value: record, revision: await this.users.create(input.name, record) });
    } catch (err) {
      if (err instanceof HearthError && err.code === 'KV_CONFLICT') {
        throw new HearthError('CONFLICT', `user ${input.name} already exists`, { issues: [{ path: '/name', message: 'taken' }] }, { cause: err });
      }
      throw err;
    }
    return record;
  }

  /**
   * Applies `change` by compare-and-set, reading again when another writer was first.
   * @throws HearthError NOT_FOUND when there is no such user.
   */
  async updateUser(name: string, change: (user: UserRecord) => Promise<UserRecord> | UserRecord): Promise<UserRecord> {
    for (;;) {
      const current = await this.users.get(name);
      if (!current) throw new HearthError('NOT_FOUND', `no user ${name}`);
      const next = { ...(await change(current.value)), name, updatedAt: Date.now() };
      try {
        this.knownUsers.apply({ key: name, value: next, revision: await this.users.update(name, next, current.revision) });
        return next;
      } catch (err) {
        if (!(err instanceof HearthError && err.code === 'KV_CONFLICT')) throw err;
      }
    }
  }

  /** The user when `password` is theirs and the account is enabled; otherwise undefined, after as long. */
  async checkPassword(name: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.user(name);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    return ok && user && !user.disabled ? user : undefined;
  }

  async createSession(user: string, maxAgeMs: number): Promise<SessionRecord> {
    const now = Date.now();
    const session: SessionRecord = { id: randomSecret(), user, csrfToken: randomSecret(), createdAt: now, expiresAt: now + maxAgeMs };
    await this.sessions.create(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is deleted and undefined. */
  async session(id: string): Promise<SessionRecord | undefined> {
    // cookie values are ours; anything else is not a key worth asking KV about
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = (await this.sessions.get(id))?.value;
    if (session && session.expiresAt <= Date.now()) {
      await this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  async endSession(id: string): Promise<void> {
    await this.sessions.delete(id);
  }

  /** A new token for `user`; the token text is returned this once and only its hash is kept. */
  async createToken(user: string, name: string, expiresAt: number): Promise<{ record: TokenRecord; token: string }> {
    const { id, token } = newApiToken();
    const record: TokenRecord = { id, user, name, sha256: sha256(token), createdAt: Date.now(), expiresAt };
    this.knownTokens.apply({ key: id, value: record, revision: await this.tokens.create(id, record) });
    return { record, token };
  }

  /**
   * The record of an unrevoked token whose secret matches (expired or not: the caller says
   * which, to whoever holds the secret); notes its use (after the answer, at most once a minute).
   */
  async useToken(token: string): Promise<TokenRecord | undefined> {
    const id = apiTokenId(token);
    if (!id) return undefined;
    const entry = this.knownTokens.get(id) ?? (await this.tokens.get(id));
    if (!entry || !sameSecret(entry.value.sha256, sha256(token))) return undefined;
    if (!tokenExpired(entry.value)) this.noteUse(entry);
    return entry.value;
  }

  /**
   * Writes the token's lastUsedAt when it is older than `lastUsedResolutionMs`, without
   * waiting for it. A lost race only loses a timestamp; a revoke in between wins (the
   * compare-and-set fails on the deleted key).
   */
  private noteUse(entry: Revisioned<TokenRecord>): void {
    const now = Date.now();
    if (now - Math.max(entry.value.lastUsedAt ?? 0, this.noted.get(entry.key) ?? 0) < lastUsedResolutionMs) return;
    this.noted.set(entry.key, now);
    const value = { ...entry.value, lastUsedAt: now };
    const write: Promise<void> = this.tokens.update(entry.key, value, entry.revision).then(
      (revision) => this.knownTokens.apply({ key: entry.key, value, revision }),
      () => undefined,
    );
    this.noting.add(write);
    void write.finally(() => this.noting.delete(write));
  }

  /** True while the token with this id exists (not revoked) and has not expired. */
  async hasToken(id: string): Promise<boolean> {
    const record = this.knownTokens.get(id)?.value ?? (await this.tokens.get(id))?.value;
    return record !== undefined && !tokenExpired(record);
  }

  async listTokens(user: string): Promise<TokenRecord[]> {
    await Promise.all(this.noting);
    const all = await Promise.all((await this.tokens.keys()).map(async (k) => (await this.tokens.get(k))?.value));
    return all.filter((t): t is TokenRecord => t?.user === user).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Revokes one of `user`'s tokens; false when there is no such token of theirs. */
  async revokeToken(user: string, id: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) return false;
    const token = (await this.tokens.get(id))?.value;
    if (token?.user !== user) return false;
    await this.forgetToken(id);
    return true;
  }

  /** Ends every session of `user` (password changed). */
  async endSessions(user: string): Promise<void> {
    const sessions = await Promise.all((await this.sessions.keys()).map(async (k) => (await this.sessions.get(k))?.value));
    await Promise.all(sessions.filter((s): s is SessionRecord => s?.user === user).map((s) => this.sessions.delete(s.id)));
  }

  /** Ends every session and revokes every token of `user` (disabled). */
  async endAll(user: string): Promise<void> {
    await this.endSessions(user);
    await Promise.all((await this.listTokens(user)).map((t) => this.forgetToken(t.id)));
  }

  private async forgetToken(id: string): Promise<void> {
    await this.tokens.delete(id);
    this.knownTokens.applyDelete(id);
    this.noted.delete(id);
  }
}

/** True once a token's expiry has passed. */
export function tokenExpired(record: TokenRecord, now = Date.now()): boolean {
  return record.expiresAt !== undefined && record.expiresAt <= now;
}
