import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The environment the search path reads (OS_CLIENT_CONFIG_FILE, OS_CLIENT_SECURE_FILE, XDG_CONFIG_HOME, HOME). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A clouds.yaml entry as the openstack CLI reads it: snake_case keys, `auth` holding the credentials. */
export type CloudEntry = Readonly<Record<string, unknown>>;

/** One entry of clouds.yaml, secure.yaml merged in, with where it came from for error messages. */
export interface FoundCloud {
  name: string;
  entry: CloudEntry;
  /** The clouds.yaml the entry came from. */
  file: string;
  /** The secure.yaml merged into it, if one was found. */
  secureFile?: string;
}

/**
 * The directories the openstack CLI (openstacksdk's config loader) searches, in order: the
 * working directory, the user's config home ($XDG_CONFIG_HOME/openstack, else
 * ~/.config/openstack), then /etc/openstack.
 */
export function searchDirectories(env: Env, cwd: string): string[] {
  const configHome = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return [cwd, join(configHome, 'openstack'), '/etc/openstack'];
}

/** Every path clouds.yaml (or secure.yaml, by `base`) may be at, the environment's override first. */
export function candidateFiles(base: 'clouds' | 'secure', env: Env, cwd: string): string[] {
  const override = env[base === 'clouds' ? 'OS_CLIENT_CONFIG_FILE' : 'OS_CLIENT_SECURE_FILE'];
  const files = override ? [override] : [];
  for (const dir of searchDirectories(env, cwd)) files.push(join(dir, `${base}.yaml`), join(dir, `${base}.yml`));
  return files;
}

/** The first of `files` that exists, as the openstack CLI takes it (it never merges several clouds.yaml). */
export function firstExisting(files: readonly string[]): string | undefined {
  return files.find((file) => existsSync(file));
}

/** Reads a YAML file whose top level must be a mapping with a `clouds` mapping. */
function readCloudsFile(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot be read as YAML: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isRecord(doc)) throw new Error(`${file}: expected a mapping with a "clouds" key at the top, got ${kindOf(doc)}`);
  const clouds = doc['clouds'];
  if (clouds === undefined) return {};
  if (!isRecord(clouds)) throw new Error(`${file}: clouds: expected a mapping of cloud names, got ${kindOf(clouds)}`);
  return clouds;
}

/** Deep merge where `over` wins; how secure.yaml overlays clouds.yaml. */
export function mergeDeep(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isRecord(under) && isRecord(value) ? mergeDeep(under, value) : value;
  }
  return out;
}

/** Where to look and which cloud to take. */
export interface FindCloudOptions {
  env: Env;
  cwd: string;
  /** The cloud to take; OS_CLOUD when absent. */
  cloud?: string;
  /** A clouds.yaml to read instead of searching. */
  file?: string;
}

/**
 * Finds the clouds.yaml entry the openstack CLI would use: the first clouds.yaml on the search
 * path (or `file`), the cloud named `cloud` (else OS_CLOUD), with the same cloud of the first
 * secure.yaml on the path merged over it. Returns undefined when no cloud is named at all.
 * @throws Error naming the file and the path in it when the cloud is named but missing or malformed
 */
export function findCloud(opts: FindCloudOptions): FoundCloud | undefined {
  const name = opts.cloud ?? opts.env['OS_CLOUD'];
  if (!name) return undefined;
  const searched = opts.file ? [opts.file] : candidateFiles('clouds', opts.env, opts.cwd);
  const file = firstExisting(searched);
  if (!file) {
    throw new Error(`cloud "${name}" is named but no clouds.yaml exists; looked at ${searched.join(', ')}`);
  }
  const clouds = readCloudsFile(file);
  const entry = clouds[name];
  if (entry === undefined) {
    const known = Object.keys(clouds).join(', ') || 'none';
    throw new Error(`${file}: clouds.${name}: no such cloud (the file has: ${known})`);
  }
  if (!isRecord(entry)) throw new Error(`${file}: clouds.${name}: expected a mapping, got ${kindOf(entry)}`);
  const secureFile = firstExisting(candidateFiles('secure', opts.env, opts.cwd));
  const secure = secureFile ? readCloudsFile(secureFile)[name] : undefined;
  if (!secureFile || secure === undefined) return { name, entry, file };
  if (!isRecord(secure)) throw new Error(`${secureFile}: clouds.${name}: expected a mapping, got ${kindOf(secure)}`);
  return { name, entry: mergeDeep(entry, secure), file, secureFile };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A word for what a YAML value is, for "expected X, got Y". */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}
