import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { request, subjects } from '@hearth/bus';
import type { ApiContext } from '../context.js';
import { listedMachine } from '../machines/machine-view.js';
import { principalOf } from '../plugins/auth.js';
import { HttpProblem, invalid, notFound, ProblemTitle } from '../problem.js';
import { errorReplies, IdParams, Machine, MachineList, MachineRequest, MachineRequestBody, MachinesQuery, Queued, Served, TypeList } from '../schemas.js';

/** Machine types, requests and the caller's machines: one bus call each. */
export const machineRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, ctx) => {
  const { bus } = ctx;
  app.get('/machine-types', { schema: { tags: ['machines'], summary: 'types with live warm counts', response: { 200: TypeList, ...errorReplies } } }, async (req) =>
    request(bus, subjects.machines.types, {}, { requestId: req.id }),
  );

  app.post(
    '/machines',
    {
      schema: {
        tags: ['machines'],
        summary: 'request a machine: 201 when served at once, 202 when queued',
        body: MachineRequestBody,
        response: { 201: Served, 202: Queued, 409: errorReplies[400], 504: errorReplies[400], ...errorReplies },
      },
    },
    async (req, reply) => {
      const { user } = principalOf(req);
      const sshPublicKey = req.body.sshPublicKey ?? user.sshPublicKey;
      if (!sshPublicKey) {
        throw invalid('/sshPublicKey', 'no key given and none saved in your profile', 'sshPublicKey: give one, or save yours with PUT /api/v1/me/ssh-key');
      }
      const answer = await ctx.requests.submit(
        { user: user.name, type: req.body.type, sshPublicKey, ...(req.body.region ? { region: req.body.region } : {}), httpRequestId: req.id },
        req.body.wait === true,
      );
      if ('machine' in answer) {
        req.log.info({ machineId: answer.machine.id }, 'machine served');
        return reply.status(201).send(answer);
      }
      req.log.info({ requestId: answer.request.id, position: answer.request.position }, 'machine request queued');
      return reply.status(202).header('location', `/api/v1/requests/${answer.request.id}`).send(answer);
    },
  );

  app.get('/requests/:id', { schema: { tags: ['machines'], summary: 'a machine request', params: IdParams, response: { 200: MachineRequest, ...errorReplies } } }, async (req) => {
    const { user } = principalOf(req);
    const found = await ctx.requests.get(req.params.id, user.name, user.role === 'admin');
    if (!found) throw notFound(`no request ${req.params.id}`);
    return found;
  });

  app.delete(
    '/requests/:id',
    { schema: { tags: ['machines'], summary: 'cancel a queued request', params: IdParams, response: { 204: { type: 'null' }, 409: errorReplies[400], ...errorReplies } } },
    async (req, reply) => {
      const { user } = principalOf(req);
      const outcome = await ctx.requests.cancel(req.params.id, user.name, user.role === 'admin');
      if (outcome === 'unknown') throw notFound(`no request ${req.params.id}`);
      if (outcome === 'finished') throw new HttpProblem(409, ProblemTitle.Conflict, `request ${req.params.id} is no longer queued`);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/machines',
    { schema: { tags: ['machines'], summary: 'my machines (admin: ?all=true for everyone\'s)', querystring: MachinesQuery, response: { 200: MachineList, ...errorReplies } } },
    async (req) => {
      const { user } = principalOf(req);
      const all = req.query.all === true && user.role === 'admin';
      const { machines } = await request(bus, subjects.machines.list, { state: 'allocated', ...(all ? {} : { user: user.name }) }, { requestId: req.id });
      return { machines: machines.map(listedMachine).filter((m): m is Machine => m !== undefined) };
    },
  );

  app.get('/machines/:id', { schema: { tags: ['machines'], summary: 'one of my machines', params: IdParams, response: { 200: Machine, ...errorReplies } } }, async (req) => {
    const { user } = principalOf(req);
    const { machines } = await request(bus, subjects.machines.list, { state: 'allocated', ...(user.role === 'admin' ? {} : { user: user.name }) }, { requestId: req.id });
    const found = machines.find((m) => m.id === req.params.id);
    const machine = found ? listedMachine(found) : undefined;
    // another user's machine is "not found": ids leak nothing
    if (!machine) throw notFound(`no machine ${req.params.id}`);
    return machine;
  });

  app.delete(
    '/machines/:id',
    { schema: { tags: ['machines'], summary: 'release: the machine is deleted and its pool refilled', params: IdParams, response: { 204: { type: 'null' }, ...errorReplies } } },
    async (req, reply) => {
      const { user } = principalOf(req);
      await request(bus, subjects.machines.release, { machineId: req.params.id, user: user.name }, { requestId: req.id });
      req.log.info({ machineId: req.params.id }, 'machine released');
      return reply.status(204).send(null);
    },
  );
};
