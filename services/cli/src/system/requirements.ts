import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { environment } from '@hearth/config';
import { run } from './run.js';
import { which } from './which.js';

/** The oldest nats-server that can be told to fsync every write (`sync_interval: always`) and keeps streams after a crash. */
export const minimumNatsVersion = '2.10.23';

/** A program Hearth needs and could not find or install; the message says how to get it. */
export class MissingRequirementError extends Error {
  constructor(
    readonly program: string,
    message: string,
  ) {
    super(message);
    this.name = 'MissingRequirementError';
  }
}

export interface EnsureOptions {
  /** Install with apt-get when running as root (true unless --no-install). */
  install: boolean;
  /** Progress lines for the person waiting. */
  say: (line: string) => void;
}

const isRoot = (): boolean => process.getuid?.() === 0;
const hasApt = (): boolean => which('apt-get') !== undefined;
let aptUpdated = false;

/** `apt-get install` as root, with one `apt-get update` per process first; output goes to the terminal. */
async function aptInstall(packages: string[], say: (line: string) => void, extra: string[] = []): Promise<void> {
  const env = { ...environment(), DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    say('apt-get update');
    const update = await run('apt-get', ['update', '-q'], { env });
    if (update.code !== 0) throw new Error(`apt-get update failed:\n${update.stderr.trim()}`);
    aptUpdated = true;
  }
  say(`apt-get install ${[...extra, ...packages].join(' ')}`);
  const result = await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...extra, ...packages], { env });
  if (result.code !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed:\n${result.stderr.trim()}`);
}

/** Compares dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The version a nats-server binary reports (`nats-server: v2.10.27` → `2.10.27`). */
export async function natsServerVersion(binary: string): Promise<string | undefined> {
  const result = await run(binary, ['--version'], { timeoutMs: 10_000 });
  return /v?(\d+\.\d+\.\d+)/.exec(result.stdout + result.stderr)?.[1];
}

const trixieSource = '/etc/apt/sources.list.d/hearth-trixie.sources';
const trixiePin = '/etc/apt/preferences.d/hearth-trixie';

/** The Debian mirror this machine already uses, so the trixie source points at the same place. */
function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const match = /(https?:\/\/[^\s]+\/debian)\/?(\s|$)/m.exec(readFileSync(file, 'utf8'));
    if (match?.[1]) return match[1];
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Makes Debian trixie's nats-server installable on bookworm without touching any other
 * package: a trixie source plus a pin at priority 100, so only `-t trixie` installs from it.
 */
function addTrixiePin(): void {
  if (!existsSync(trixieSource)) {
    writeFileSync(
      trixieSource,
      `# added by Hearth: nats-server >= ${minimumNatsVersion} comes from trixie\nTypes: deb\nURIs: ${debianMirror()}\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    );
    aptUpdated = false;
  }
  if (!existsSync(trixiePin)) {
    writeFileSync(trixiePin, '# added by Hearth: nothing else comes from trixie\nPackage: *\nPin: release n=trixie\nPin-Priority: 100\n');
  }
}

/**
 * Finds nats-server at least `minimumNatsVersion`, installing Debian trixie's package as root
 * when it is missing or older. With `allowUnsafe`, an older server is accepted with a warning.
 * @returns the binary's path and version
 * @throws MissingRequirementError naming what to install and how
 */
export async function ensureNatsServer(
  configured: string,
  opts: EnsureOptions & { allowUnsafe: boolean },
): Promise<{ path: string; version: string }> {
  let path = which(configured);
  let version = path ? await natsServerVersion(path) : undefined;
  const tooOld = (v: string | undefined): boolean => !v || compareVersions(v, minimumNatsVersion) < 0;
  if (path && version && !tooOld(version)) return { path, version };
  if (opts.install && isRoot() && hasApt() && configured === 'nats-server') {
    opts.say(
      path
        ? `nats-server ${version ?? '(unknown version)'} is older than ${minimumNatsVersion}; installing Debian trixie's package`
        : `nats-server is missing; installing Debian trixie's package`,
    );
    addTrixiePin();
    await aptInstall(['nats-server'], opts.say, ['-t', 'trixie']);
    path = which(configured);
    version = path ? await natsServerVersion(path) : undefined;
    if (path && version && !tooOld(version)) return { path, version };
  }
  if (path && version && opts.allowUnsafe) {
    opts.say(`warning: nats-server ${version} is older than ${minimumNatsVersion}: acknowledged writes may be lost on a crash`);
    return { path, version };
  }
  const how = [
    `as root: ./hearth up  (installs it), or by hand:`,
    `  printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\nSuites: trixie\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > ${trixieSource}`,
    `  printf 'Package: *\\nPin: release n=trixie\\nPin-Priority: 100\\n' > ${trixiePin}`,
    `  apt-get update && apt-get install -t trixie nats-server`,
  ].join('\n');
  if (!path) {
    throw new MissingRequirementError('nats-server', `nats-server ${minimumNatsVersion} or newer is not installed (looked for "${configured}").\nInstall it ${how}`);
  }
  throw new MissingRequirementError(
    'nats-server',
    `nats-server at ${path} is ${version ?? 'of unknown version'}, older than ${minimumNatsVersion}: it cannot fsync every write, so acknowledged state may be lost.\nUpgrade it ${how}\nor accept the risk with --allow-unsafe-nats (nats.server.allowUnsafeVersion: true).`,
  );
}

/**
 * Makes sure a Docker engine answers: installs docker.io as root when dockerd is missing,
 * and starts dockerd (logging to `logFile`) when none runs.
 * @returns undefined when an engine answers, otherwise why not (the caller says so and carries on)
 */
export async function ensureDocker(opts: EnsureOptions & { logFile: string }): Promise<string | undefined> {
  const engineAnswers = async (): Promise<boolean> => (await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 })).code === 0;
  if (which('docker') && (await engineAnswers())) return undefined;
  if (!opts.install || !isRoot()) {
    return which('dockerd')
      ? 'no Docker engine answers; start it as root with: dockerd &'
      : 'Docker is not installed; install it as root with: apt-get install docker.io';
  }
  if (!which('dockerd') && hasApt()) {
    opts.say('Docker is missing; installing docker.io');
    await aptInstall(['docker.io'], opts.say);
  }
  const dockerd = which('dockerd');
  if (!dockerd) return 'dockerd could not be installed';
  opts.say('starting dockerd');
  const out = openSync(opts.logFile, 'a');
  spawn(dockerd, [], { detached: true, stdio: ['ignore', out, out] }).unref();
  for (let i = 0; i < 60; i++) {
    if (await engineAnswers()) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `dockerd did not answer within 30 s; see ${opts.logFile}`;
}

/**
 * Finds `program`, installing Debian package `pkg` as root when it is missing.
 * @throws MissingRequirementError naming the package and the command that installs it
 */
export async function ensureProgram(program: string, pkg: string, why: string, opts: EnsureOptions): Promise<string> {
  const found = which(program);
  if (found) return found;
  if (opts.install && isRoot() && hasApt()) {
    opts.say(`${program} is missing (${why}); installing ${pkg}`);
    await aptInstall([pkg], opts.say);
    const installed = which(program);
    if (installed) return installed;
  }
  throw new MissingRequirementError(program, `${program} is not installed; ${why}. Install it as root with: apt-get install ${pkg}`);
}

/** Keystone of the OpenStack control plane that `../shared/openstack/up.sh` starts for the openstack driver's tests. */
export const testOpenStackKeystone = 'http://127.0.0.1:5000/v3';

async function keystoneAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).ok;
  } catch {
    return false;
  }
}

/** Runs a bash script with its output appended to `logFile`; resolves with its exit code. */
function runLogged(script: string, env: NodeJS.ProcessEnv, logFile: string): Promise<number> {
  const out = openSync(logFile, 'a');
  const child = spawn('bash', [script], { env, stdio: ['ignore', out, out] });
  closeSync(out);
  return new Promise((resolve) => {
    child.once('error', () => resolve(127));
    child.once('close', (code) => resolve(code ?? 1));
  });
}

/**
 * Makes sure the OpenStack control plane answers before the tests run: when Keystone does not
 * answer and this runs as root, starts it with `<scriptDir>/up.sh` (SKIP_SMOKE=1; about two
 * minutes on a fresh machine), its output appended to `logFile`. Does nothing when
 * HEARTH_SKIP_OPENSTACK=1. Never throws: without a control plane the openstack tests fail
 * with their own message, so this only warns.
 * @returns stop(): runs `<scriptDir>/down.sh` if, and only if, this call started the control plane
 */
export async function ensureOpenStack(
  opts: EnsureOptions & { scriptDir: string; logFile: string; env: NodeJS.ProcessEnv; keystoneUrl?: string },
): Promise<{ stop(): Promise<void> }> {
  const nothingToStop = { stop: async (): Promise<void> => {} };
  const keystone = opts.keystoneUrl ?? testOpenStackKeystone;
  if (opts.env['HEARTH_SKIP_OPENSTACK'] === '1') return nothingToStop;
  if (await keystoneAnswers(keystone)) {
    opts.say(`the OpenStack control plane already answers at ${keystone}; leaving it running`);
    return nothingToStop;
  }
  const up = `${opts.scriptDir}/up.sh`;
  if (!opts.install || !isRoot() || !existsSync(up)) {
    const how = existsSync(up) ? `start it as root with: SKIP_SMOKE=1 bash ${up}` : `${up} is missing`;
    opts.say(`warning: no OpenStack control plane answers at ${keystone}; the openstack tests will fail (${how}, or set HEARTH_SKIP_OPENSTACK=1)`);
    return nothingToStop;
  }
  opts.say(`starting the OpenStack control plane (about 2 minutes on a fresh machine; log: ${opts.logFile})`);
  const started = Date.now();
  const code = await runLogged(up, { ...opts.env, SKIP_SMOKE: '1' }, opts.logFile);
  if (code === 0) opts.say(`OpenStack control plane up in ${Math.round((Date.now() - started) / 1000)} s`);
  else opts.say(`warning: ${up} exited with ${code}; the openstack tests will fail, see ${opts.logFile}`);
  return {
    // even after a failed up.sh: down.sh stops only what up.sh recorded as started
    stop: async () => {
      opts.say('stopping the OpenStack control plane this run started');
      await runLogged(`${opts.scriptDir}/down.sh`, opts.env, opts.logFile);
    },
  };
}
