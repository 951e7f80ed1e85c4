import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import { resolveReferences } from './references.js';
import { schemaIssues } from './schema-issues.js';
import { convertUnits } from './convert-units.js';

/** A deeply read-only view of a loaded configuration. */
export type Frozen<T> = T extends (infer U)[]
  ? readonly Frozen<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;

export interface LoadConfigOptions {
  /** YAML file to read. Without it, the schema's defaults and `set` alone make the config. */
  path?: string;
  /** Environment for `${env:NAME}` references; an empty object when absent. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides in `path=value` form (`nats.server.port=4333`, `pools[0].max=5`); values parse as YAML scalars. */
  set?: readonly string[];
}

/**
 * Reads, resolves and validates a configuration in one pure step:
 * YAML → `${env:…}`/`${file:…}` references → `set` overrides → "90s"/"20GiB" units →
 * schema defaults → validation. Returns a frozen object typed by the schema.
 *
 * @throws ConfigError listing every issue, each with file, line, path and what was expected.
 */
export function loadConfig<S extends TSchema>(schema: S, options: LoadConfigOptions = {}): Frozen<Static<S>> {
  const source = options.path ? readSource(options.path) : undefined;
  const file = options.path ? basename(options.path) : '<defaults>';
  const issues: ConfigIssue[] = [];
  let value: unknown = source?.doc.toJS() ?? {};
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([{ file, line: 1, path: '', message: 'expected a mapping of settings at the top level' }]);
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => (source ? source.lineOf(path) : undefined);
  const overridden: (string | number)[][] = [];
  const report = (path: readonly (string | number)[], message: string, from = file): void => {
    // a value --set put there is not in the file, whatever line its parent is on
    const fromSet = overridden.some((keys) => keys.every((k, i) => path[i] === k));
    const origin = from === file && fromSet ? '<--set>' : from;
    const line = origin === file ? lineOf(path) : undefined;
    issues.push({ file: origin, ...(line === undefined ? {} : { line }), path: formatPath(path), message });
  };

  const fromReferences = new Set<string>();
  const baseDir = options.path ? resolve(options.path, '..') : process.cwd();
  value = resolveReferences(value, options.env ?? {}, baseDir, report, fromReferences);
  for (const entry of options.set ?? []) {
    const keys = applyOverride(value as Record<string, unknown>, entry, report);
    if (keys) overridden.push(keys);
  }
  value = convertUnits(schema, value, [], report, fromReferences);
  const reported = new Set(issues.map((issue) => issue.path));

  value = Value.Default(schema, value);
  for (const issue of schemaIssues(schema, value)) {
    // a bad duration or an unset variable is already reported at this path; the schema would only repeat it
    if (!reported.has(formatPath(issue.path))) report(issue.path, issue.message);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(value) as Frozen<Static<S>>;
}

interface Source {
  doc: Document.Parsed;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

function readSource(path: string): Source {
  const file = basename(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError([{ file: path, path: '', message: `cannot read the configuration: ${reason}` }], {
      cause: err,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        line: lineCounter.linePos(e.pos[0]).line,
        path: '',
        message: `not valid YAML: ${e.message.split('\n')[0] ?? e.code}`,
      })),
    );
  }
  return {
    doc,
    // the line of the value at path, or of its nearest ancestor present in the file
    lineOf(path) {
      for (let depth = path.length; depth >= 0; depth--) {
        const node = doc.getIn(path.slice(0, depth), true);
        if (isScalar(node) || isMap(node) || isSeq(node)) {
          const offset = node.range?.[0];
          if (offset !== undefined) return lineCounter.linePos(offset).line;
        }
      }
      return undefined;
    },
  };
}

function applyOverride(
  target: Record<string, unknown>,
  entry: string,
  report: (path: readonly (string | number)[], message: string, from?: string) => void,
): (string | number)[] | undefined {
  const eq = entry.indexOf('=');
  const keys = eq > 0 ? parsePath(entry.slice(0, eq)) : undefined;
  if (!keys || keys.length === 0) {
    report([], `cannot read override ${JSON.stringify(entry)}: expected path=value, e.g. nats.server.port=4333`, '<--set>');
    return undefined;
  }
  const raw = entry.slice(eq + 1);
  const parsed = parseDocument(raw);
  const value: unknown = parsed.errors.length > 0 ? raw : parsed.toJS();
  let node: Record<string | number, unknown> = target;
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1) {
      node[key] = value;
      return keys;
    }
    const next = node[key];
    if (next === undefined || next === null) node[key] = typeof keys[i + 1] === 'number' ? [] : {};
    else if (typeof next !== 'object') {
      report(keys.slice(0, i + 1), `cannot set ${entry}: this is a value, not a mapping`, '<--set>');
      return undefined;
    }
    node = node[key] as Record<string | number, unknown>;
  }
  return undefined;
}

/** "pools[2].max" → ["pools", 2, "max"]; undefined when malformed or naming `__proto__`. */
export function parsePath(text: string): (string | number)[] | undefined {
  const keys: (string | number)[] = [];
  for (const part of text.split('.')) {
    const match = /^([A-Za-z_][\w-]*)((?:\[\d+\])*)$/.exec(part);
    // __proto__ would walk into Object.prototype and set a key on every object in the process
    if (!match?.[1] || match[1] === '__proto__') return undefined;
    keys.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) keys.push(Number(index[1]));
  }
  return keys;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The schema step of loadConfig for a value that came from elsewhere (a section checked by
 * a plugin's own schema): units converted, defaults filled, every issue listed with its path.
 * Works on a copy; the input is not changed.
 */
export function applySchema<S extends TSchema>(schema: S, input: unknown): { value: Static<S>; issues: { path: (string | number)[]; message: string }[] } {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const converted = convertUnits(schema, structuredClone(input), [], (path, message) => issues.push({ path: [...path], message }));
  const value: unknown = Value.Default(schema, converted);
  const reported = new Set(issues.map((i) => formatPath(i.path)));
  for (const issue of schemaIssues(schema, value)) if (!reported.has(formatPath(issue.path))) issues.push(issue);
  return { value: value as Static<S>, issues };
}
