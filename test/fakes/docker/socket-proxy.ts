import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';

/**
 * A fault-injecting stand-in for the Docker engine's socket: it passes every connection
 * through to the real engine until `down()`, which closes the listening socket and cuts
 * every open connection (an engine that stopped), and `up()` brings it back. The docker
 * driver under test is the shipped one, pointed at `path`.
 */
export interface DockerSocketProxy {
  readonly path: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startDockerSocketProxy(path: string, target = '/var/run/docker.sock'): Promise<DockerSocketProxy> {
  const open = new Set<Socket>();
  let server: Server | undefined;
  const listen = async (): Promise<void> => {
    await rm(path, { force: true });
    const s = createServer((client) => {
      const engine = createConnection(target);
      open.add(client);
      open.add(engine);
      const drop = (): void => {
        client.destroy();
        engine.destroy();
        open.delete(client);
        open.delete(engine);
      };
      client.on('error', drop).on('close', drop);
      engine.on('error', drop).on('close', drop);
      client.pipe(engine).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(path, () => resolve());
    });
    server = s;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of open) socket.destroy();
    open.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await rm(path, { force: true });
  };
  await listen();
  return { path, down, up: listen, close: down };
}
