import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenExpired, type AccountStore } from '../accounts/account-store.js';
import type { SessionRecord, UserRecord } from '../accounts/records.js';
import { sameSecret } from '../accounts/secrets.js';
import { forbidden, tooMany, unauthorized } from '../problem.js';
import type { LimitCheck } from './rate-limits.js';

/** Who is calling, and how they proved it. */
export interface Principal {
  user: UserRecord;
  via: 'session' | 'token';
  session?: SessionRecord;
  tokenId?: string;
}

/** Who may call a route: anyone, any signed-in user (the default), or admins only. */
export type Access = 'public' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** Accept `?token=` (websocket upgrades: browsers cannot set headers on them). */
    queryToken?: boolean;
  }
}

export const sessionCookie = 'hearth_session';
export const csrfHeader = 'x-csrf-token';
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The principal behind a request: `Authorization: Bearer hth_…`, else the `hearth_session`
 * cookie, else (websocket upgrades only, for clients that cannot set headers) `?token=`.
 * Undefined without credentials.
 * @throws HttpProblem 401 when credentials are given but unknown, expired, revoked or of a disabled user.
 */
export async function authenticate(req: FastifyRequest, store: AccountStore, opts: { queryToken?: boolean } = {}): Promise<Principal | undefined> {
  const header = req.headers.authorization;
  const queryToken = opts.queryToken ? (req.query as Record<string, unknown> | undefined)?.['token'] : undefined;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : typeof queryToken === 'string' ? queryToken : undefined;
  if (header !== undefined && bearer === undefined) throw unauthorized('the Authorization header must be "Bearer hth_…"');
  if (bearer !== undefined) {
    const token = await store.useToken(bearer);
    const user = token ? await store.user(token.user) : undefined;
    if (!token || !user || user.disabled) throw unauthorized('the API token is unknown, revoked or expired');
    if (tokenExpired(token)) {
      throw unauthorized(`the API token "${token.name}" expired at ${new Date(token.expiresAt ?? 0).toISOString()}; make a new one (hearth login, or Settings in the portal)`);
    }
    return { user, via: 'token', tokenId: token.id };
  }
  const sid = req.cookies[sessionCookie];
  if (sid === undefined || sid === '') return undefined;
  const session = await store.session(sid);
  const user = session ? await store.user(session.user) : undefined;
  if (!session || !user || user.disabled) throw unauthorized('the session has ended; sign in again');
  return { user, via: 'session', session };
}

export interface AuthOptions {
  store: AccountStore;
  /** The general per-credential limit. */
  limit: LimitCheck;
}

/**
 * Authenticates every request of the encapsulating context, checks the route's `access`
 * (401 without credentials, 403 for a scientist on an admin route), the CSRF token of cookie
 * calls that change something, and the per-credential rate limit. Binds the user to the
 * request's logger.
 */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  app.addHook('onRequest', async (req, reply) => {
    const access: Access = req.routeOptions.config.access ?? 'user';
    // on a public route (login) a stale cookie or token is no reason to refuse: the caller is anonymous
    const queryToken = req.routeOptions.config.queryToken === true;
    const principal =
      access === 'public' ? await authenticate(req, opts.store).catch(() => undefined) : await authenticate(req, opts.store, { queryToken });
    const key = principal ? (principal.session ? `s:${principal.session.id}` : `t:${principal.tokenId ?? ''}`) : `a:${req.ip}`;
    const wait = await opts.limit(req, key);
    if (wait !== undefined) throw tooMany(wait, `too many requests; try again in ${wait} s`);
    if (principal) {
      req.principal = principal;
      // both: the reply's logger writes the "request completed" line
      req.log = reply.log = req.log.child({ user: principal.user.name });
      if (principal.session && access !== 'public' && !safeMethods.has(req.method)) {
        const sent = req.headers[csrfHeader];
        if (typeof sent !== 'string' || !sameSecret(sent, principal.session.csrfToken)) {
          throw forbidden(`missing or wrong ${csrfHeader} header: cookie calls that change something must send the CSRF token from login or GET /api/v1/me`);
        }
      }
    }
    if (access === 'public') return;
    if (!principal) throw unauthorized();
    if (access === 'admin' && principal.user.role !== 'admin') throw forbidden('this needs the admin role');
  });
}

/** The signed-in caller of a route whose access is `user` or `admin`. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthorized();
  return req.principal;
}
