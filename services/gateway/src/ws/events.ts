import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { WebSocket } from 'ws';
import { onMachineEvents, subjects, usageRecords, type Bus } from '@hearth/bus';
import type { AccountStore } from '../accounts/account-store.js';
import type { ApiContext } from '../context.js';
import { principalOf, type Principal } from '../plugins/auth.js';
import { HttpProblem, ProblemTitle } from '../problem.js';
import { errorReplies } from '../schemas.js';

/** A socket that answered no ping within this long is closed. */
const pingIntervalMs = 30_000;

export const EventsQuery = Type.Object({ token: Type.Optional(Type.String({ description: 'hth_… for clients that cannot set headers' })) }, { additionalProperties: false });

/**
 * `GET /events` (websocket): live events as `{topic, event}` JSON messages. Authenticated on
 * upgrade by the API's auth hook (401 without credentials). A scientist gets the machine
 * events of their own requests and machines; an admin gets every machine event and the
 * pool, cloud and usage events. Each socket's subscriptions end when it closes.
 */
export const eventRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { bus, store }) => {
  // wsHandler (not `websocket: true`, which hides the route from the OpenAPI document); a plain GET gets 426
  app.route({
    method: 'GET',
    url: '/events',
    config: { queryToken: true },
    schema: { tags: ['events'], summary: 'live events (websocket upgrade)', querystring: EventsQuery, response: errorReplies },
    handler: async () => {
      throw new HttpProblem(426, ProblemTitle.UpgradeRequired, 'this is a websocket: connect with an Upgrade request');
    },
    wsHandler: (socket, req) => {
      const principal = principalOf(req);
      const log = req.log.child({ websocket: true });
      const stop = forward(bus, principal, (topic, event) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ topic, event }));
      });
      const keepalive = keepAlive(socket, store, principal);
      socket.on('close', () => {
        stop();
        clearInterval(keepalive);
        log.debug('event socket closed');
      });
      log.info({ role: principal.user.role }, 'event socket open');
    },
  });
};

/** Subscribes to what `principal` may see; returns the unsubscribe. */
function forward(bus: Bus, principal: Principal, send: (topic: string, event: unknown) => void): () => void {
  const { name, role } = principal.user;
  const stops = [
    onMachineEvents(bus, (event) => {
      if (role === 'admin' || event.user === name) send('machine', event);
    }),
  ];
  if (role === 'admin') {
    for (const [subject, topic] of [
      [subjects.pools.events, 'pool'],
      [subjects.clouds.events, 'cloud'],
    ] as const) {
      const sub = bus.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (!err) relay(() => send(topic, msg.json()));
        },
      });
      stops.push(() => sub.unsubscribe());
    }
    const usage = bus.nc.subscribe(subjects.usage.all, {
      callback: (err, msg) => {
        if (!err) relay(() => usageRecords(msg.data).forEach((record) => send('usage', record)));
      },
    });
    stops.push(() => usage.unsubscribe());
  }
  return () => stops.forEach((s) => s());
}

/** A message that is not JSON (or not a usage batch) is not ours to forward. */
function relay(fn: () => void): void {
  try {
    fn();
  } catch {
    // dropped
  }
}

/**
 * Pings every interval and closes a socket that did not answer the last ping, or whose
 * session, token or account has ended since it opened (disabled users are cut off).
 */
function keepAlive(socket: WebSocket, store: AccountStore, principal: Principal): NodeJS.Timeout {
  let alive = true;
  socket.on('pong', () => (alive = true));
  return setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
    void stillValid(store, principal).then((ok) => ok || socket.close(4401, 'signed out'), () => undefined);
  }, pingIntervalMs).unref();
}

async function stillValid(store: AccountStore, principal: Principal): Promise<boolean> {
  const user = await store.user(principal.user.name);
  if (!user || user.disabled) return false;
  if (principal.session) return (await store.session(principal.session.id)) !== undefined;
  return principal.tokenId !== undefined && (await store.hasToken(principal.tokenId));
}
