import Type, { type Static } from 'typebox';
import { commonSettings, Size, type Frozen } from '@hearth/config';

export const GatewaySettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'address to listen on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: '0 picks a free port' }),
    tls: Type.Optional(
      Type.Object({ certFile: Type.String(), keyFile: Type.String() }, { additionalProperties: false }),
    ),
    publicUrl: Type.Optional(Type.String({ description: 'the address people use, when behind a proxy' })),
    bodyLimitBytes: Size({ minimum: 1024, default: 1_048_576, description: 'largest request body, e.g. "1MiB"' }),
  },
  { additionalProperties: false, default: {} },
);

/** The gateway reads the common sections and its own; other services' sections are theirs to check. */
export const GatewayConfig = Type.Object({ ...commonSettings, gateway: GatewaySettings }, { additionalProperties: true });
export type GatewayConfig = Frozen<Static<typeof GatewayConfig>>;
