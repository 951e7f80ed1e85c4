import { headers as natsHeaders, nuid, type Msg } from '@nats-io/transport-node';
import type { Logger } from '@hearth/log';
import { schemaIssues, formatPath } from '@hearth/config';
import { api, type ApiSubject, type RequestOf, type ResponseOf } from './api.js';
import { ErrorCodes, HearthError, isErrorCode, toEnvelope } from './errors.js';
import type { EndpointStats, Service } from './service.js';
import { defaultQueueGroup } from './subjects.js';

/** Header carrying the id that ties a request's log lines together across services. */
export const requestIdHeader = 'Hearth-Request-Id';

/** What a handler gets besides its validated input. */
export interface RequestContext {
  requestId: string;
  /** The service log bound to this request's id and subject. */
  log: Logger;
  subject: string;
}

export type Handler<S extends ApiSubject> = (
  input: RequestOf<S>,
  ctx: RequestContext,
) => Promise<ResponseOf<S>> | ResponseOf<S>;

export interface ServeOptions<S extends ApiSubject> {
  /** Queue group; null subscribes without one so every instance answers. Defaults to `q`. */
  queueGroup?: string | null;
  /** Return false to stay silent for a request this instance should not answer. */
  accepts?: (input: RequestOf<S>) => boolean;
  /** Name in `$SRV.INFO`/`$SRV.STATS`; defaults to the subject's last token. */
  endpointName?: string;
}

/**
 * Serves a request subject: decode JSON → check against the request schema (a bad message
 * gets INVALID_REQUEST naming each bad field) → handler → check the reply against its schema
 * → respond. A thrown HearthError travels as its envelope; anything else as INTERNAL, logged.
 */
export function serve<S extends ApiSubject>(
  service: Service,
  subject: S,
  handler: Handler<S>,
  options: ServeOptions<S> = {},
): void {
  const schemas = api[subject];
  const queueGroup = options.queueGroup === undefined ? defaultQueueGroup : options.queueGroup;
  const stats: EndpointStats = {
    name: options.endpointName ?? subject.split('.').pop() ?? subject,
    subject,
    queueGroup: queueGroup ?? '',
    numRequests: 0,
    numErrors: 0,
    lastError: '',
    processingTimeNs: 0n,
  };
  /** Requests being handled, so a stop or a withdrawal can wait for their replies. */
  const running = new Set<Promise<void>>();
  const sub = service.bus.nc.subscribe(subject, {
    ...(queueGroup ? { queue: queueGroup } : {}),
    callback: (err, msg) => {
      if (err) {
        service.log.error({ err, subject }, 'subscription failed');
        return;
      }
      const handling = handle(msg);
      running.add(handling);
      const done = (): void => {
        running.delete(handling);
      };
      handling.then(done, done);
    },
  });
  service.track(sub, stats, running);

  async function handle(msg: Msg): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = msg.headers?.get(requestIdHeader) || nuid.next();
    // bound on first use: most requests log nothing, and a child logger per request is measurable at thousands a second
    let bound: Logger | undefined;
    const log = (): Logger => (bound ??= service.log.child({ requestId, subject }));
    const ctx: RequestContext = {
      requestId,
      subject,
      get log() {
        return log();
      },
    };
    const fail = (err: unknown): void => {
      stats.numErrors++;
      const envelope = toEnvelope(err);
      stats.lastError = `${envelope.code}: ${envelope.message}`;
      if (envelope.code === 'INTERNAL') log().error({ err }, 'request failed');
      else log().debug({ code: envelope.code }, 'request rejected');
      respondError(msg, envelope.code, envelope, requestId);
    };
    let input: RequestOf<S>;
    try {
      input = decode(msg, schemas.request) as RequestOf<S>;
    } catch (err) {
      stats.numRequests++;
      fail(err);
      return;
    }
    try {
      if (options.accepts && !options.accepts(input)) return;
    } catch (err) {
      stats.numRequests++;
      fail(err);
      return;
    }
    stats.numRequests++;
    try {
      const output = await handler(input, ctx);
      const issues = schemaIssues(schemas.response, output);
      if (issues.length > 0) {
        throw new Error(`reply does not match its schema: ${issues.map((i) => `${formatPath(i.path) || '(root)'} ${i.message}`).join('; ')}`);
      }
      if (msg.reply) msg.respond(JSON.stringify(output), { headers: idHeaders(requestId) });
    } catch (err) {
      fail(err);
    } finally {
      stats.processingTimeNs += process.hrtime.bigint() - started;
    }
  }
}

function decode(msg: Msg, schema: (typeof api)[ApiSubject]['request']): unknown {
  let value: unknown;
  try {
    value = msg.data.length === 0 ? {} : JSON.parse(new TextDecoder().decode(msg.data));
  } catch (err) {
    throw new HearthError('INVALID_REQUEST', `request on ${msg.subject} is not valid JSON`, {
      issues: [{ path: '', message: 'expected a JSON document' }],
    }, { cause: err });
  }
  const issues = schemaIssues(schema, value);
  if (issues.length > 0) {
    const list = issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new HearthError(
      'INVALID_REQUEST',
      `invalid request on ${msg.subject}: ${list.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
      { issues: list },
    );
  }
  return value;
}

function idHeaders(requestId: string): ReturnType<typeof natsHeaders> {
  const h = natsHeaders();
  h.set(requestIdHeader, requestId);
  return h;
}

function respondError(msg: Msg, code: string, envelope: object, requestId: string): void {
  if (!msg.reply) return;
  const h = idHeaders(requestId);
  // ADR-32 error headers, so generic NATS service tooling sees the failure too
  h.set('Nats-Service-Error', (envelope as { message: string }).message);
  h.set('Nats-Service-Error-Code', String(isErrorCode(code) ? ErrorCodes[code].status : 500));
  msg.respond(JSON.stringify(envelope), { headers: h });
}
