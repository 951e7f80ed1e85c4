import type { Frozen, NatsSettings } from '@hearth/config';

/**
 * The nats-server configuration `hearth up` runs: loopback listener, monitoring port, and
 * JetStream with `sync_interval: always`, so every acknowledged write is on disk.
 */
export function renderNatsConfig(opts: {
  installation: string;
  nats: Frozen<NatsSettings>;
  storeDir: string;
}): string {
  const { server } = opts.nats;
  const lines = [
    '# Written by `hearth up` from hearth.yaml; edit that instead.',
    `server_name: "hearth-${opts.installation}"`,
    `listen: "${server.host}:${server.port}"`,
  ];
  if (server.monitorPort > 0) lines.push(`http: "${server.host}:${server.monitorPort}"`);
  if (opts.nats.user && opts.nats.pass) {
    lines.push('authorization {', `  user: ${JSON.stringify(opts.nats.user)}`, `  password: ${JSON.stringify(opts.nats.pass)}`, '}');
  } else if (opts.nats.token) {
    lines.push('authorization {', `  token: ${JSON.stringify(opts.nats.token)}`, '}');
  }
  lines.push(
    'jetstream {',
    `  store_dir: ${JSON.stringify(opts.storeDir)}`,
    '  # fsync every write: an acknowledged state change survives power loss',
    '  sync_interval: always',
    '}',
    '',
  );
  return lines.join('\n');
}
