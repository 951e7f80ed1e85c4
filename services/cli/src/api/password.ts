import { UsageError } from './api-error.js';

/** All of stdin, without the one trailing newline `echo` or a file adds (`--password-stdin`). */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!password) throw new UsageError('--password-stdin: nothing on stdin');
  return password;
}

/**
 * Asks for a password on the terminal without echoing it. Ctrl-C aborts, backspace works.
 * @throws UsageError when stdin is not a terminal (say --password-stdin instead).
 */
export function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new UsageError('no terminal to ask for the password on; pipe it in with --password-stdin'));
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The password from stdin with `--password-stdin`, else asked for on the terminal. */
export function password(opts: { passwordStdin?: boolean }, prompt: string): Promise<string> {
  return opts.passwordStdin ? readPasswordFromStdin() : promptPassword(prompt);
}
