import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** A Hearth service `hearth up` runs as its own supervised child process. */
export interface ServiceSpec {
  name: string;
  /** The compiled entry point. */
  entry: string;
  /** The hearth.yaml sections the service owns. */
  sections: readonly string[];
}

/** Every service that exists, in start order. Later services join this list as they are built. */
export const serviceCatalogue: readonly ServiceSpec[] = [
  { name: 'pool-manager', entry: join(repoRoot, 'services', 'pool-manager', 'dist', 'main.js'), sections: ['poolManager', 'machineTypes', 'clouds', 'pools'] },
  { name: 'gateway', entry: join(repoRoot, 'services', 'gateway', 'dist', 'main.js'), sections: ['gateway'] },
];
