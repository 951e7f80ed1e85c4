import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tokenExpired } from '../accounts/account-store.js';
import type { ApiContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { notFound } from '../problem.js';
import { tokenExpiry } from './token-expiry.js';
import { CreateTokenBody, errorReplies, IdParams, MeReply, SshKeyBody, SshKeyReply, TokenCreated, TokenList } from '../schemas.js';

/** `/me*`: the caller's profile, SSH key and API tokens. */
export const meRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, ctx) => {
  app.get('/me', { schema: { tags: ['me'], summary: 'who am I', response: { 200: MeReply, ...errorReplies } } }, async (req) => {
    const { user, session } = principalOf(req);
    return {
      name: user.name,
      role: user.role,
      ...(user.sshPublicKey ? { sshPublicKey: user.sshPublicKey } : {}),
      ...(session ? { csrfToken: session.csrfToken } : {}),
    };
  });

  app.put(
    '/me/ssh-key',
    { schema: { tags: ['me'], summary: 'the key used when a request names none', body: SshKeyBody, response: { 200: SshKeyReply, ...errorReplies } } },
    async (req) => {
      const { user } = principalOf(req);
      const updated = await ctx.store.updateUser(user.name, (u) => ({ ...u, sshPublicKey: req.body.sshPublicKey }));
      return { name: updated.name, role: updated.role, sshPublicKey: req.body.sshPublicKey };
    },
  );

  app.get('/me/tokens', { schema: { tags: ['me'], summary: 'my API tokens (never their text)', response: { 200: TokenList, ...errorReplies } } }, async (req) => {
    const tokens = await ctx.store.listTokens(principalOf(req).user.name);
    return {
      tokens: tokens.map((t) => ({
        id: t.id,
        name: t.name,
        createdAt: t.createdAt,
        ...(t.lastUsedAt ? { lastUsedAt: t.lastUsedAt } : {}),
        ...(t.expiresAt !== undefined ? { expiresAt: t.expiresAt } : {}),
        expired: tokenExpired(t),
      })),
    };
  });

  app.post(
    '/me/tokens',
    { schema: { tags: ['me'], summary: 'a new API token, shown this once', body: CreateTokenBody, response: { 201: TokenCreated, ...errorReplies } } },
    async (req, reply) => {
      const expiresAt = tokenExpiry(req.body.expiresAt);
      const { record, token } = await ctx.store.createToken(principalOf(req).user.name, req.body.name, expiresAt);
      req.log.info({ tokenId: record.id, expiresAt: new Date(expiresAt).toISOString() }, 'API token created');
      return reply.status(201).send({ id: record.id, name: record.name, token, createdAt: record.createdAt, expiresAt });
    },
  );

  app.delete(
    '/me/tokens/:id',
    { schema: { tags: ['me'], summary: 'revoke a token at once', params: IdParams, response: { 204: { type: 'null' }, ...errorReplies } } },
    async (req, reply) => {
      if (!(await ctx.store.revokeToken(principalOf(req).user.name, req.params.id))) throw notFound(`no token ${req.params.id}`);
      req.log.info({ tokenId: req.params.id }, 'API token revoked');
      return reply.status(204).send(null);
    },
  );
};
