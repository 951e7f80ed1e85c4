import { resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or install) root: services/cli/dist/stack → ../../../.. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');

/** Where the local stack keeps its state, logs and the JetStream store. */
export interface StackPaths {
  dataDir: string;
  runDir: string;
  logDir: string;
  natsStoreDir: string;
  natsConfig: string;
  pidFile: string;
  stateFile: string;
  logFile(name: string): string;
}

export function stackPaths(dataDir: string, natsStoreDir?: string): StackPaths {
  const root = resolve(dataDir);
  const runDir = join(root, 'run');
  const logDir = join(root, 'logs');
  return {
    dataDir: root,
    runDir,
    logDir,
    natsStoreDir: natsStoreDir ? resolve(natsStoreDir) : join(root, 'nats'),
    natsConfig: join(runDir, 'nats-server.conf'),
    pidFile: join(runDir, 'supervisor.pid'),
    stateFile: join(runDir, 'state.json'),
    logFile: (name) => join(logDir, `${name}.log`),
  };
}
