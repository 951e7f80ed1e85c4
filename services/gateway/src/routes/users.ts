import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import type { ApiContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { HttpProblem, ProblemTitle } from '../problem.js';
import { CreateUserBody, errorReplies, UpdateUserBody, UserList, UserParams, UserView } from '../schemas.js';
import { hashPassword } from '../accounts/passwords.js';
import type { UserRecord } from '../accounts/records.js';

const admin = { access: 'admin' } as const;
const view = (u: UserRecord): Static<typeof UserView> => ({ name: u.name, role: u.role, disabled: u.disabled, createdAt: u.createdAt });

/** Users, for admins: list, create, change role, disable, set a password. */
export const userRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { store }) => {
  app.get('/users', { config: admin, schema: { tags: ['admin'], summary: 'every account', response: { 200: UserList, ...errorReplies } } }, async () => ({
    users: (await store.listUsers()).map(view),
  }));

  app.post(
    '/users',
    { config: admin, schema: { tags: ['admin'], summary: 'create an account', body: CreateUserBody, response: { 201: UserView, 409: errorReplies[400], ...errorReplies } } },
    async (req, reply) => {
      const user = await store.createUser(req.body);
      req.log.info({ created: user.name, role: user.role }, 'user created');
      return reply.status(201).send(view(user));
    },
  );

  app.patch(
    '/users/:name',
    {
      config: admin,
      schema: { tags: ['admin'], summary: 'change role, disable, or set a password', params: UserParams, body: UpdateUserBody, response: { 200: UserView, 409: errorReplies[400], ...errorReplies } },
    },
    async (req) => {
      const { role, disabled, password } = req.body;
      if (req.params.name === principalOf(req).user.name && (disabled === true || role === 'scientist')) {
        // the last way back in must not lock itself out
        throw new HttpProblem(409, ProblemTitle.Conflict, 'you cannot disable yourself or take away your own admin role');
      }
      const passwordHash = password === undefined ? undefined : await hashPassword(password);
      const user = await store.updateUser(req.params.name, (u) => ({
        ...u,
        ...(role !== undefined ? { role } : {}),
        ...(disabled !== undefined ? { disabled } : {}),
        ...(passwordHash !== undefined ? { passwordHash } : {}),
      }));
      // disabling ends every way in at once; a new password ends the sessions made with the old one
      if (disabled === true) await store.endAll(user.name);
      else if (passwordHash !== undefined) await store.endSessions(user.name);
      req.log.info({ changed: user.name, role, disabled, passwordChanged: password !== undefined }, 'user changed');
      return view(user);
    },
  );
};
