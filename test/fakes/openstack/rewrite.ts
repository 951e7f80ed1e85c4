/** What the proxy makes Nova say about one server: stuck building, or failed with a fault. */
export type ServerOverride = { status: 'BUILD' } | { status: 'ERROR'; fault: string };

type Server = Record<string, unknown> & { id?: string };

function apply(server: Server, overrides: ReadonlyMap<string, ServerOverride>): Server {
  const override = server.id === undefined ? undefined : overrides.get(server.id);
  if (!override) return server;
  if (override.status === 'BUILD') {
    // as Nova shows a server still being scheduled: no address yet, a task in progress
    return { ...server, status: 'BUILD', addresses: {}, 'OS-EXT-STS:task_state': 'scheduling', 'OS-EXT-STS:vm_state': 'building' };
  }
  return {
    ...server,
    status: 'ERROR',
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:vm_state': 'error',
    // Nova's fault object on an ERROR server (GET /servers/{id}, microversion >= 2.1)
    fault: { code: 500, created: new Date().toISOString(), message: override.fault },
  };
}

/** Applies `overrides` to a Nova `{server}` or `{servers: […]}` body; anything else is returned as it was. */
export function mutateServers(text: string, overrides: ReadonlyMap<string, ServerOverride>): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof doc !== 'object' || doc === null) return text;
  const body = doc as { server?: Server; servers?: Server[] };
  if (body.server) body.server = apply(body.server, overrides);
  if (Array.isArray(body.servers)) body.servers = body.servers.map((s) => apply(s, overrides));
  return JSON.stringify(body);
}
