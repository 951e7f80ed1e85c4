import { spawn } from 'node:child_process';
import { environment } from '@hearth/config';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion and captures its output; never throws for a non-zero exit. */
export function run(
  program: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; inherit?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(program, [...args], {
      env: opts.env ?? environment(),
      stdio: opts.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
