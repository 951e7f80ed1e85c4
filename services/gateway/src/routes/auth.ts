import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { principalOf, sessionCookie } from '../plugins/auth.js';
import { tooMany, unauthorized } from '../problem.js';
import { CreateTokenWithPasswordBody, errorReplies, LoginBody, LoginReply, TokenCreated } from '../schemas.js';
import { tokenExpiry } from './token-expiry.js';
import type { UserRecord } from '../accounts/records.js';

/** `/auth/*`: password login and logout for the portal, and tokens for the CLI. */
export const authRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, ctx) => {
  app.post(
    '/auth/login',
    {
      config: { access: 'public' },
      schema: { tags: ['auth'], summary: 'sign in; sets the session cookie', body: LoginBody, response: { 200: LoginReply, ...errorReplies } },
    },
    async (req, reply) => {
      const user = await checkPassword(ctx, req, req.body.user, req.body.password);
      const session = await ctx.store.createSession(user.name, ctx.sessionMaxAgeMs);
      void reply.setCookie(sessionCookie, session.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.tls,
        maxAge: Math.floor(ctx.sessionMaxAgeMs / 1000),
      });
      req.log.info({ user: user.name }, 'signed in');
      return { user: { name: user.name, role: user.role }, csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'end the session and clear the cookie (with a token: revoke it)', response: { 204: { type: 'null' }, ...errorReplies } } },
    async (req, reply) => {
      const { session, tokenId, user } = principalOf(req);
      if (session) await ctx.store.endSession(session.id);
      // called with a token, logout revokes that token
      if (tokenId) await ctx.store.revokeToken(user.name, tokenId);
      clearSession(reply, ctx.tls);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/tokens',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'a personal API token for the CLI, shown this once',
        body: CreateTokenWithPasswordBody,
        response: { 201: TokenCreated, ...errorReplies },
      },
    },
    async (req, reply) => {
      const expiresAt = tokenExpiry(req.body.expiresAt);
      const user = await checkPassword(ctx, req, req.body.user, req.body.password);
      const { record, token } = await ctx.store.createToken(user.name, req.body.name, expiresAt);
      req.log.info({ tokenId: record.id, expiresAt: new Date(expiresAt).toISOString() }, 'API token created');
      return reply.status(201).send({ id: record.id, name: record.name, token, createdAt: record.createdAt, expiresAt });
    },
  );
};

/**
 * Checks a password under the login rate limit, per address and per account (so neither many
 * accounts from one address nor one account from many addresses can be guessed at speed).
 */
async function checkPassword(ctx: ApiContext, req: FastifyRequest, name: string, password: string): Promise<UserRecord> {
  for (const key of [`address:${req.ip}`, `account:${name}`]) {
    const wait = await ctx.loginLimit(req, key);
    if (wait !== undefined) throw tooMany(wait, `too many sign-in attempts; try again in ${wait} s`);
  }
  const user = await ctx.store.checkPassword(name, password);
  if (!user) {
    req.log.info({ attempted: name }, 'sign-in refused');
    throw unauthorized('wrong user name or password, or the account is disabled');
  }
  return user;
}

export function clearSession(reply: FastifyReply, tls: boolean): void {
  void reply.clearCookie(sessionCookie, { path: '/', httpOnly: true, sameSite: 'strict', secure: tls });
}
