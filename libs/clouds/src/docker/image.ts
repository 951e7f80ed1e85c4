import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * images/build.sh in this repository. Both src/docker/image.ts and dist/docker/image.js sit
 * four levels below the repository root, so one relative path serves both.
 */
export const analysisImageScript: string = fileURLToPath(new URL('../../../../images/build.sh', import.meta.url));

/** A tag build.sh can print for the analysis image. */
const analysisTag = /^hearth\/analysis:[0-9a-f]{12}$/;

/** How many of the build's last stderr lines a failure quotes. */
const tailLines = 40;

export interface EnsureAnalysisImageOptions {
  /** Called with each progress step (`building base image …`, `analysis image ready`). */
  say?: (step: string) => void;
  /** The build script; images/build.sh of this repository when absent. */
  script?: string;
}

/**
 * Makes sure Hearth's analysis machine image exists on the local Docker engine and returns
 * its tag (`hearth/analysis:<hash>`). Runs images/build.sh, which builds the Debian base and
 * the analysis image only when their definitions changed (the tag hash is over the
 * definition files), so a call when both exist takes a fraction of a second. Concurrent
 * callers, in this process or others, wait for one build on the script's lock.
 *
 * A first build needs root (debootstrap), a reachable Debian mirror and a few minutes.
 * @throws Error when the script cannot run or fails; the message ends with its last stderr lines.
 */
export function ensureAnalysisImage(options: EnsureAnalysisImageOptions = {}): Promise<string> {
  const script = options.script ?? analysisImageScript;
  const doing = `building the analysis image with ${script}`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    let lastLine = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        lastLine = line.trim();
        if (line.startsWith('==> ')) options.say?.(line.slice(4));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
      if (stderr.length > tailLines * 2) stderr.splice(0, stderr.length - tailLines);
    });
    child.on('error', (err) => reject(new Error(`${doing}: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (pending.trim() !== '') lastLine = pending.trim();
      const tail = stderr.slice(-tailLines).join('\n');
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new Error(`${doing}: the script ${how}${tail ? `\n${tail}` : ''}`));
      } else if (!analysisTag.test(lastLine)) {
        reject(new Error(`${doing}: expected an image tag on the last line of output, got "${lastLine}"`));
      } else {
        resolve(lastLine);
      }
    });
  });
}
