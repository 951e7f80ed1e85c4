import Type, { type Static } from 'typebox';
import { commonSettings, Duration, Size, type Frozen } from '@hearth/config';

/** How many calls a key may make in a window; the next one is answered 429 with `retry-after`. */
const RateLimit = (what: string, max: number, windowMs: number) =>
  Type.Object(
    {
      max: Type.Integer({ minimum: 1, default: max, description: `most ${what} per window` }),
      windowMs: Duration({ minimum: 1_000, default: windowMs, description: 'the window, e.g. "1m"' }),
    },
    { additionalProperties: false, default: {} },
  );

export const RateLimits = Type.Object(
  {
    login: RateLimit('password checks (login and token creation) per account and per address', 10, 60_000),
    requests: RateLimit('API calls per credential (session or token; the address when anonymous)', 1_200, 60_000),
  },
  { additionalProperties: false, default: {} },
);

export const GatewaySettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'address to listen on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: '0 picks a free port' }),
    tls: Type.Optional(
      Type.Object({ certFile: Type.String(), keyFile: Type.String() }, { additionalProperties: false }),
    ),
    publicUrl: Type.Optional(Type.String({ description: 'the address people use, when behind a proxy' })),
    bodyLimitBytes: Size({ minimum: 1024, default: 1_048_576, description: 'largest request body, e.g. "1MiB"' }),
    portalDir: Type.Optional(Type.String({ description: 'the built portal to serve at /; services/portal/dist by default' })),
    sessionMaxAgeMs: Duration({
      minimum: 1_000,
      maximum: 7 * 86_400_000,
      default: 12 * 3_600_000,
      description: 'a portal login lasts this long, e.g. "12h" (at most 7 days, the sessions bucket TTL)',
    }),
    requestWaitMs: Duration({
      minimum: 1_000,
      maximum: 3_600_000,
      default: 120_000,
      description: 'how long a queued machine request waits for a machine before it fails',
    }),
    rateLimits: RateLimits,
  },
  { additionalProperties: false, default: {} },
);
export type GatewaySettings = Frozen<Static<typeof GatewaySettings>>;

/** The gateway reads the common sections and its own; other services' sections are theirs to check. */
export const GatewayConfig = Type.Object({ ...commonSettings, gateway: GatewaySettings }, { additionalProperties: true });
export type GatewayConfig = Frozen<Static<typeof GatewayConfig>>;
