import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { isOurs } from './process-info.js';

/** Marker found in the supervisor's command line (the cli entry point). */
export const supervisorMarker = 'cli/dist/main.js';

/** The pid of a live supervisor for this data directory, or undefined. */
export function runningSupervisor(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isOurs(pid, supervisorMarker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims the data directory for this process: creates the pid file exclusively, replacing
 * one left by a supervisor that is gone.
 * @returns undefined when claimed, or the pid of the supervisor that holds it
 */
export function claim(pidFile: string): number | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(pidFile, `${process.pid}\n`, { flag: 'wx' });
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = runningSupervisor(pidFile);
      if (holder !== undefined && holder !== process.pid) return holder;
      if (holder === process.pid) return undefined;
      // stale: the supervisor that wrote it is gone
      unlinkSync(pidFile);
    }
  }
  throw new Error(`cannot claim ${pidFile}`);
}

/** Removes the pid file if this process holds it. */
export function release(pidFile: string): void {
  try {
    if (Number(readFileSync(pidFile, 'utf8').trim()) === process.pid) unlinkSync(pidFile);
  } catch {
    // already gone
  }
}
