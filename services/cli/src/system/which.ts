import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { environment } from '@hearth/config';

// root's programs (nats-server, dockerd) live in sbin, which a normal user's PATH may lack
const extraDirs = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of an executable, searching PATH and the sbin folders; undefined when absent. */
export function which(program: string): string | undefined {
  if (program.includes('/')) return isExecutable(program) ? program : undefined;
  const dirs = [...(environment()['PATH'] ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
