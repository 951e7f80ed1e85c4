import Type, { type Static } from 'typebox';
import { commonSettings, type Frozen } from '@hearth/config';

/**
 * The CLI checks the common sections and that every top-level key belongs to someone;
 * each service checks its own section (`--check-config`) before anything starts.
 */
export const CliConfig = Type.Object(
  {
    ...commonSettings,
    // one entry per service section in stack/services.ts (config.test.ts keeps them in step)
    gateway: Type.Optional(Type.Unknown()),
    poolManager: Type.Optional(Type.Unknown()),
    machineTypes: Type.Optional(Type.Array(Type.Unknown())),
    clouds: Type.Optional(Type.Array(Type.Unknown())),
    pools: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: false },
);
export type CliConfig = Frozen<Static<typeof CliConfig>>;
