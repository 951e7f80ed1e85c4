import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The real CLI as built by `./hearth test` (tsc -b runs before the suite). */
export const hearthCli = resolve(import.meta.dirname, '..', '..', 'services', 'cli', 'dist', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `hearth args…` with `input` on stdin, on this process's environment with
 * NO_COLOR set and `env` over it (a name set to undefined is removed).
 */
export function runCli(args: readonly string[], opts: { input?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    for (const [name, value] of Object.entries(opts.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const child = spawn(process.execPath, [hearthCli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
