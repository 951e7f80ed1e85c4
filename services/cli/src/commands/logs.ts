import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { basename } from 'node:path';
import { stackContext, type StackOptions } from '../stack/context.js';
import { style, ui } from '../ui/terminal.js';

export interface LogsOptions extends StackOptions {
  follow?: boolean;
  lines?: number;
  raw?: boolean;
}

/** `hearth logs [SERVICE]`: the last lines of one service's log, or of all; `-f` follows. */
export async function logs(service: string | undefined, opts: LogsOptions): Promise<number> {
  const { paths } = stackContext(opts);
  const available = existsSync(paths.logDir)
    ? readdirSync(paths.logDir).filter((f) => f.endsWith('.log')).map((f) => basename(f, '.log')).sort()
    : [];
  if (available.length === 0) {
    ui.error(`no logs in ${paths.logDir}; has Hearth run with this data directory?`);
    return 1;
  }
  if (service && !available.includes(service)) {
    ui.error(`no log for "${service}"; expected one of: ${available.join(', ')}`);
    return 2;
  }
  const names = service ? [service] : available;
  const prefix = names.length > 1;
  const count = opts.lines ?? 50;
  const offsets = new Map<string, number>();
  for (const name of names) {
    const file = paths.logFile(name);
    const text = readTail(file, count);
    for (const line of text) ui.say(render(name, line, prefix, opts.raw));
    offsets.set(name, statSync(file).size);
  }
  if (!opts.follow) return 0;
  await new Promise<void>((resolve) => {
    for (const name of names) {
      const file = paths.logFile(name);
      watchFile(file, { interval: 250 }, (curr) => {
        const from = curr.size < (offsets.get(name) ?? 0) ? 0 : (offsets.get(name) ?? 0);
        if (curr.size === from) return;
        const fd = openSync(file, 'r');
        const buf = Buffer.alloc(curr.size - from);
        readSync(fd, buf, 0, buf.length, from);
        closeSync(fd);
        offsets.set(name, curr.size);
        for (const line of buf.toString('utf8').split('\n').filter(Boolean)) ui.say(render(name, line, prefix, opts.raw));
      });
    }
    process.once('SIGINT', () => {
      for (const name of names) unwatchFile(paths.logFile(name));
      resolve();
    });
  });
  return 0;
}

function readTail(file: string, lines: number): string[] {
  const size = statSync(file).size;
  const length = Math.min(size, 256 * 1024);
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(length);
  readSync(fd, buf, 0, length, size - length);
  closeSync(fd);
  const all = buf.toString('utf8').split('\n').filter(Boolean);
  return all.slice(-lines);
}

const levelStyle: Record<string, (t: string) => string> = {
  fatal: style.bad,
  error: style.bad,
  warn: style.warn,
  info: (t) => t,
  debug: style.dim,
  trace: style.dim,
};

/** A pino JSON line as `time level msg key=value…`; anything else as it is. */
export function render(name: string, line: string, prefix: boolean, raw = false): string {
  const head = prefix ? `${style.dim(name.padEnd(12))} ` : '';
  if (raw || !line.startsWith('{')) return head + line;
  try {
    const { time, level, msg, service: _s, pid: _p, installation: _i, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const when = typeof time === 'string' ? time.slice(11, 23) : '';
    const lvl = String(level ?? '');
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${head}${style.dim(when)} ${(levelStyle[lvl] ?? ((t: string) => t))(lvl.padEnd(5))} ${String(msg ?? '')}${fields ? ` ${style.dim(fields)}` : ''}`;
  } catch {
    return head + line;
  }
}
