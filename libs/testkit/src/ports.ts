import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port the kernel hands out on its own (to `listen(0)` and to outgoing connections). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const low = ephemeralLow();
/** Ports below the ephemeral range, above the well-known ones and common services. */
const range = { from: Math.max(1_024, low - 12_000), to: low };

/** Ports this process handed out: free when checked, but most are bound by now. */
const handedOut = new Set<number>();

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port that was free a moment ago, for a server a test configures before starting
 * it. Picked below the kernel's ephemeral range: a port from `listen(0)` could be taken by
 * any outgoing connection (of parallel tests, of the servers themselves) before the server
 * binds it. Nor is a port handed out twice in one process: a test that asks for several
 * before starting its servers (a cluster's client, route and monitoring ports) would otherwise
 * be able to get one twice, since each is released right after the check. Both made a cluster
 * node fail to start with "address already in use".
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = range.from + Math.floor(Math.random() * (range.to - range.from));
    if (handedOut.has(port) || !(await tryListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port found in ${range.from}-${range.to - 1} after 100 tries`);
}
