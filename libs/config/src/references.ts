import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatPath } from './config-error.js';

type Report = (path: readonly (string | number)[], message: string) => void;

const reference = /\$\{(env|file):([^}]*)\}/g;

/**
 * Replaces `${env:NAME}`, `${env:NAME:-fallback}` and `${file:/path}` inside every string.
 * Files are read relative to the configuration's folder and lose one trailing newline,
 * so a secret can live in its own file. Unknown names are reported, never left in place.
 * The path of every string that held a reference goes into `resolved`, so a number or
 * boolean setting may be given as `${env:PORT}`.
 */
export function resolveReferences(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  baseDir: string,
  report: Report,
  resolved: Set<string>,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    if (value.search(reference) >= 0) resolved.add(formatPath(path));
    return value.replace(reference, (_match, kind: string, arg: string) => {
      if (kind === 'env') {
        // split at the first ":-" only: the fallback may itself contain one
        const sep = arg.indexOf(':-');
        const name = sep < 0 ? arg : arg.slice(0, sep);
        const fallback = sep < 0 ? undefined : arg.slice(sep + 2);
        const found = env[name];
        if (found !== undefined) return found;
        if (fallback !== undefined) return fallback;
        report(path, `environment variable ${name} is not set (referenced as \${env:${name}})`);
        return '';
      }
      const file = isAbsolute(arg) ? arg : resolve(baseDir, arg);
      try {
        return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        report(path, `cannot read ${file} (referenced as \${file:${arg}}): ${(err as NodeJS.ErrnoException).code}`);
        return '';
      }
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveReferences(item, env, baseDir, report, resolved, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, resolveReferences(child, env, baseDir, report, resolved, [...path, key])]),
    );
  }
  return value;
}
