import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** A Hearth service `hearth up` runs as its own supervised child process. */
export interface ServiceSpec {
  name: string;
  /** The compiled entry point. */
  entry: string;
  /** The hearth.yaml section the service owns, if any. */
  section?: string;
}

/** Every service that exists, in start order. Later services join this list as they are built. */
export const serviceCatalogue: readonly ServiceSpec[] = [
  { name: 'gateway', entry: join(repoRoot, 'services', 'gateway', 'dist', 'main.js'), section: 'gateway' },
];
