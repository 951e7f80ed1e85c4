import Type, { type Static } from 'typebox';

/** The NATS server `hearth up` runs on this machine. */
export const NatsServerSettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'address the local nats-server listens on' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 4222 }),
    monitorPort: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8222,
      description: 'HTTP monitoring port (/varz, /healthz); 0 turns it off',
    }),
    binary: Type.String({ default: 'nats-server', description: 'program to run, looked up on PATH' }),
    storeDir: Type.Optional(Type.String({ description: 'JetStream store; <dataDir>/nats unless set' })),
    allowUnsafeVersion: Type.Boolean({
      default: false,
      description: 'run a nats-server older than 2.10.23 although acknowledged writes may be lost',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** How services reach NATS. */
export const NatsSettings = Type.Object(
  {
    url: Type.Optional(
      Type.Union([Type.String({ pattern: '^(nats|tls)://' }), Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { minItems: 1 })], {
        description: 'server URL(s); defaults to the local server below',
      }),
    ),
    tls: Type.Optional(
      Type.Object(
        { caFile: Type.Optional(Type.String()), certFile: Type.Optional(Type.String()), keyFile: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    credsFile: Type.Optional(Type.String()),
    user: Type.Optional(Type.String()),
    pass: Type.Optional(Type.String()),
    token: Type.Optional(Type.String()),
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 1, description: 'JetStream replicas per stream/bucket' }),
    server: NatsServerSettings,
  },
  { additionalProperties: false, default: {} },
);
export type NatsSettings = Static<typeof NatsSettings>;

export const LogSettings = Type.Object(
  {
    level: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info' },
    ),
  },
  { additionalProperties: false, default: {} },
);

/** Sections every service reads from hearth.yaml. Spread into each service's schema. */
export const commonSettings = {
  installation: Type.String({
    pattern: '^[a-z0-9][a-z0-9-]{0,30}$',
    default: 'local',
    description: 'this installation\'s id; tags every cloud resource it owns',
  }),
  dataDir: Type.String({ default: '.hearth', description: 'where the local stack keeps state, logs and pids' }),
  nats: NatsSettings,
  log: LogSettings,
};

/** The URL(s) services connect to: `nats.url`, else the local server's address. */
export function natsUrls(nats: { url?: string | readonly string[]; server: { host: string; port: number } }): string[] {
  if (nats.url) return typeof nats.url === 'string' ? [nats.url] : [...nats.url];
  const host = nats.server.host === '0.0.0.0' ? '127.0.0.1' : nats.server.host;
  return [`nats://${host}:${nats.server.port}`];
}
