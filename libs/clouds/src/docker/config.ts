import Type, { type Static } from 'typebox';
import { Duration, type Frozen } from '@hearth/config';

/** Where the Docker engine listens when the config does not say. */
export const defaultSocketPath = '/var/run/docker.sock';

/** How long one Engine API request may take when the config does not say. */
export const defaultRequestTimeoutMs = 30_000;

/** Limits Hearth keeps itself to on this engine; a missing limit is no limit (Infinity). */
export const DockerLimits = Type.Object(
  {
    instances: Type.Optional(
      Type.Integer({ minimum: 0, description: 'most containers of this installation at once (quota.limits.instances)' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * One local Docker cloud: the engine on `socketPath`, with machines as containers on the
 * region's bridge network. The driver creates the network on first launch when it is missing.
 */
export const DockerConfig = Type.Object(
  {
    driver: Type.Literal('docker'),
    name: Type.String({ minLength: 1, description: 'the cloud name pools refer to' }),
    region: Type.String({ minLength: 1 }),
    socketPath: Type.Optional(
      Type.String({ minLength: 1, default: defaultSocketPath, description: 'the Docker engine API socket' }),
    ),
    network: Type.String({
      minLength: 1,
      description: "the region's Docker network; created as a bridge, labelled with the installation, when missing",
    }),
    requestTimeoutMs: Type.Optional(
      Duration({ exclusiveMinimum: 0, description: 'longest wait for one Engine API request; 30s when absent' }),
    ),
    limits: Type.Optional(DockerLimits),
  },
  { additionalProperties: false },
);

/** A docker cloud's configuration section, as loadConfig returns it (or a plain literal in tests). */
export type DockerConfig = Frozen<Static<typeof DockerConfig>>;

/** The settings a DockerDriver runs with, every optional field filled in. */
export interface DockerSettings {
  name: string;
  region: string;
  socketPath: string;
  network: string;
  requestTimeoutMs: number;
  limits: { instances: number };
}

/** Fills in what the config left out: the default socket, a 30 s request timeout, no limits. */
export function dockerSettings(config: DockerConfig): DockerSettings {
  return {
    name: config.name,
    region: config.region,
    socketPath: config.socketPath ?? defaultSocketPath,
    network: config.network,
    requestTimeoutMs: config.requestTimeoutMs ?? defaultRequestTimeoutMs,
    limits: { instances: config.limits?.instances ?? Infinity },
  };
}
