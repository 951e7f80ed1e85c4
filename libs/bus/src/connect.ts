import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '@hearth/log';
import { natsUrls, type Frozen, type NatsSettings } from '@hearth/config';
import { HearthError } from './errors.js';

/** How a service reaches NATS; mirrors the `nats` section of hearth.yaml. */
export interface BusOptions {
  /** One or more `nats://host:port` URLs (a cluster's seeds). */
  servers: string | string[];
  /** Client name shown in the server's connection list, e.g. `gateway`. */
  name: string;
  log: Logger;
  /** TLS: server CA to trust, and a client certificate for mutual TLS. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** A `.creds` file (JWT + nkey seed), as made by `nsc`. */
  credsFile?: string;
  user?: string;
  pass?: string;
  token?: string;
  /**
   * Keep trying when the server is not up yet (true: services started before NATS wait for it).
   * False makes the first connection fail fast, as the CLI wants.
   */
  waitOnFirstConnect?: boolean;
  /** Pause between reconnect attempts; defaults to 250 ms. Attempts never stop. */
  reconnectTimeWaitMs?: number;
  /** How long request() waits for a responder to appear unless the call says otherwise (see RequestOptions); 0 by default. */
  waitForResponderMs?: number;
}

/** A live connection plus the JetStream handles every service needs. */
export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  jsm(): Promise<JetStreamManager>;
  readonly log: Logger;
  /** request()'s wait for a responder when the call names none. */
  readonly waitForResponderMs: number;
  /** Connected right now (false while reconnecting). */
  isConnected(): boolean;
  /** Finish in-flight work, flush, then close. Idempotent. */
  drain(): Promise<void>;
  /** Close at once. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects to NATS with reconnects that never give up, so a restarted nats-server is
 * rejoined without the service noticing beyond a log line.
 * @throws HearthError UNAVAILABLE when the first connection fails (and waitOnFirstConnect is off).
 */
export async function connectBus(opts: BusOptions): Promise<Bus> {
  const servers = Array.isArray(opts.servers) ? opts.servers : [opts.servers];
  const log = opts.log.child({ component: 'bus' });
  let nc: NatsConnection;
  try {
    nc = await connect(connectionOptions(opts, servers));
  } catch (err) {
    throw new HearthError('UNAVAILABLE', `connecting to NATS at ${servers.join(', ')}: ${describe(err)}`, undefined, {
      cause: err,
    });
  }
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          connected = false;
          log.warn({ server: status.server }, 'nats disconnected');
          break;
        case 'reconnect':
          connected = true;
          log.info({ server: status.server }, 'nats reconnected');
          break;
        case 'error':
          log.error({ err: status.error }, 'nats error');
          break;
        default:
          break;
      }
    }
  })();
  log.info({ server: nc.getServer(), version: nc.info?.version }, 'nats connected');
  const js = jetstream(nc);
  let manager: Promise<JetStreamManager> | undefined;
  return {
    nc,
    js,
    log,
    waitForResponderMs: opts.waitForResponderMs ?? 0,
    jsm: () => (manager ??= jetstreamManager(nc)),
    isConnected: () => connected && !nc.isClosed(),
    drain: async () => {
      if (!nc.isClosed() && !nc.isDraining()) await nc.drain();
    },
    close: async () => {
      if (!nc.isClosed()) await nc.close();
    },
  };
}

function connectionOptions(opts: BusOptions, servers: string[]): NodeConnectionOptions {
  const authenticator: Authenticator[] = [];
  if (opts.credsFile) authenticator.push(credsAuthenticator(readFileSync(opts.credsFile)));
  return {
    servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
    waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
    // nats.js otherwise builds an Error (a stack trace) for every request, in case it fails:
    // a tenth of a busy service's CPU. A failed request is named by our own error (subject, code).
    noAsyncTraces: true,
    ...(authenticator.length > 0 ? { authenticator } : {}),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.pass ? { pass: opts.pass } : {}),
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.tls ? { tls: { ...opts.tls } } : {}),
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Bus options from the `nats` section of hearth.yaml. */
export function busOptionsFrom(nats: Frozen<NatsSettings>, name: string, log: Logger): BusOptions {
  return {
    servers: natsUrls(nats),
    name,
    log,
    waitOnFirstConnect: true,
    ...(nats.tls ? { tls: { ...nats.tls } } : {}),
    ...(nats.credsFile ? { credsFile: nats.credsFile } : {}),
    ...(nats.user ? { user: nats.user } : {}),
    ...(nats.pass ? { pass: nats.pass } : {}),
    ...(nats.token ? { token: nats.token } : {}),
  };
}
