import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HearthError, latestUsage, request, subjects, type Issue } from '@hearth/bus';
import type { ApiContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { HttpProblem, ProblemTitle } from '../problem.js';
import { CloudList, CloudParams, CloudStatus, errorReplies, PoolList, PoolParams, PoolSettings, ResizeBody, UsageList, UsageQuery } from '../schemas.js';

const admin = { access: 'admin' } as const;

/** Pools, clouds and the usage feed, for admins: one bus call each, audited with the admin's name. */
export const adminRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { bus }) => {
  app.get('/pools', { config: admin, schema: { tags: ['admin'], summary: 'pools per type and cloud, with counts', response: { 200: PoolList, ...errorReplies } } }, async (req) =>
    request(bus, subjects.pools.list, {}, { requestId: req.id }),
  );

  app.patch(
    '/pools/:type/:cloud',
    {
      config: admin,
      schema: { tags: ['admin'], summary: 'resize a pool', params: PoolParams, body: ResizeBody, response: { 200: PoolSettings, 409: errorReplies[400], ...errorReplies } },
    },
    async (req) => {
      const by = principalOf(req).user.name;
      const settings = await request(bus, subjects.pools.resize, { ...req.params, ...req.body, by }, { requestId: req.id }).catch((err: unknown) => {
        // the body passed our schema, so a refusal is about the pool's state (minReady above its max)
        if (err instanceof HearthError && err.code === 'INVALID_REQUEST') throw new HttpProblem(409, ProblemTitle.Conflict, err.message, issuesOf(err));
        throw err;
      });
      req.log.info({ pool: `${req.params.type}.${req.params.cloud}`, ...req.body }, 'pool resized');
      return settings;
    },
  );

  app.get('/clouds', { config: admin, schema: { tags: ['admin'], summary: 'clouds with health', response: { 200: CloudList, ...errorReplies } } }, async (req) =>
    request(bus, subjects.clouds.list, {}, { requestId: req.id }),
  );

  for (const verb of ['drain', 'undrain'] as const) {
    app.post(
      `/clouds/:name/${verb}`,
      { config: admin, schema: { tags: ['admin'], summary: `${verb} a cloud`, params: CloudParams, response: { 200: CloudStatus, ...errorReplies } } },
      async (req) => {
        const status = await request(bus, subjects.clouds[verb], { cloud: req.params.name, by: principalOf(req).user.name }, { requestId: req.id });
        req.log.info({ cloud: req.params.name }, `cloud ${verb}ed`);
        return status;
      },
    );
  }

  app.get(
    '/usage',
    { config: admin, schema: { tags: ['admin'], summary: 'the latest usage events, newest first', querystring: UsageQuery, response: { 200: UsageList, ...errorReplies } } },
    async (req) => ({ events: await latestUsage(bus, req.query.limit ?? 100) }),
  );
};

function issuesOf(err: HearthError): { issues?: Issue[] } {
  const issues = err.details?.['issues'];
  return Array.isArray(issues) ? { issues: issues as Issue[] } : {};
}
