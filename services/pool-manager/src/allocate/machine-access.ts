import type { Connection, MachineRecord } from '@hearth/bus';
import type { Logger } from '@hearth/log';
import { SshSession, type KeyPair } from '@hearth/ssh';

/** What the pool manager does on a machine itself. */
export interface MachineAccess {
  /** Proves the machine takes SSH logins; keeps the session for later. Throws when not yet. */
  probe(machine: MachineRecord): Promise<void>;
  /** Creates the user with their key (and sudo if allowed); returns how they connect. */
  personalize(machine: MachineRecord, user: string, publicKey: string, sudo: boolean): Promise<Connection>;
  /** Logged-in sessions and CPU time used so far (microseconds), for the idle check. */
  activity(machine: MachineRecord): Promise<{ sessions: number; cpuUs: number }>;
  /** Drops the kept session of a machine that is going away. */
  forget(machineId: string): void;
  close(): void;
}

/** How a user reaches a machine: its private address on port 22 (a region's jump host comes with regions). */
export function connectionOf(machine: MachineRecord, user: string): Connection {
  return { host: machine.privateIp ?? '', port: 22, user };
}

// Runs as root: $1 user, $2 "sudo" or "", the public key on standard input.
const personalizeScript = `set -eu
u="$1"
id -u "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
home=$(getent passwd "$u" | cut -d: -f6)
install -d -m 700 -o "$u" -g "$u" "$home/.ssh"
cat > "$home/.ssh/authorized_keys"
chown "$u:$u" "$home/.ssh/authorized_keys"
chmod 600 "$home/.ssh/authorized_keys"
if [ "$2" = sudo ]; then
  printf '%s ALL=(ALL) NOPASSWD:ALL\\n' "$u" > "/etc/sudoers.d/hearth-$u"
  chmod 440 "/etc/sudoers.d/hearth-$u"
fi`;

// logged-in sessions, then CPU time used in microseconds: the machine's own cgroup where there
// is one (a container's /proc/stat counts the whole host), else the kernel's busy ticks
const activityScript = `who | wc -l
if [ -r /sys/fs/cgroup/cpu.stat ]; then awk '/^usage_usec/{print $2}' /sys/fs/cgroup/cpu.stat
elif [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then echo $(( $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage) / 1000 ))
else awk '/^cpu /{print ($2+$3+$4+$7+$8)*10000}' /proc/stat; fi`;

/**
 * SSH access as root with the installation's key. The session opened by the readiness
 * probe is kept, so personalizing a warm machine costs one command, not a handshake.
 */
export class SshAccess implements MachineAccess {
  private readonly sessions = new Map<string, Promise<SshSession>>();

  constructor(
    private readonly key: KeyPair,
    private readonly log: Logger,
  ) {}

  private session(machine: MachineRecord): Promise<SshSession> {
    const existing = this.sessions.get(machine.id);
    if (existing) {
      return existing.then((s) => (s.isOpen ? s : this.reopen(machine)), () => this.reopen(machine));
    }
    return this.reopen(machine);
  }

  private reopen(machine: MachineRecord): Promise<SshSession> {
    if (!machine.privateIp) return Promise.reject(new Error(`machine ${machine.id} has no address yet`));
    const opening = SshSession.open({ host: machine.privateIp, username: 'root', privateKey: this.key.privateKey }, 3_000);
    this.sessions.set(machine.id, opening);
    opening.catch(() => this.sessions.delete(machine.id));
    return opening;
  }

  async probe(machine: MachineRecord): Promise<void> {
    const session = await this.session(machine);
    const result = await session.exec('true', { timeoutMs: 3_000 });
    if (result.code !== 0) throw new Error(`probe command exited ${result.code}`);
  }

  async personalize(machine: MachineRecord, user: string, publicKey: string, sudo: boolean): Promise<Connection> {
    const session = await this.session(machine);
    const result = await session.exec(`sh -c '${personalizeScript.replace(/'/g, `'\\''`)}' hearth ${user} ${sudo ? 'sudo' : '-'}`, {
      input: `${publicKey}\n`,
      timeoutMs: 10_000,
    });
    if (result.code !== 0) throw new Error(`personalizing exited ${result.code}: ${result.stderr.trim().slice(0, 300)}`);
    this.log.debug({ machineId: machine.id, user }, 'machine personalized');
    return connectionOf(machine, user);
  }

  async activity(machine: MachineRecord): Promise<{ sessions: number; cpuUs: number }> {
    const session = await this.session(machine);
    const result = await session.exec(activityScript, { timeoutMs: 5_000 });
    const [sessions = '0', cpu = '0'] = result.stdout.trim().split('\n');
    return { sessions: Number(sessions), cpuUs: Number(cpu) };
  }

  forget(machineId: string): void {
    const session = this.sessions.get(machineId);
    this.sessions.delete(machineId);
    void session?.then((s) => s.close(), () => undefined);
  }

  close(): void {
    for (const id of [...this.sessions.keys()]) this.forget(id);
  }
}

/**
 * The `sim` cloud's machines exist only in memory: they are "reachable" at once and
 * personalize instantly. Used for benchmarks and fault tests of the engine, never in an
 * end-to-end test.
 */
export class SimAccess implements MachineAccess {
  async probe(): Promise<void> {}
  async personalize(machine: MachineRecord, user: string): Promise<Connection> {
    return connectionOf(machine, user);
  }
  async activity(): Promise<{ sessions: number; cpuUs: number }> {
    return { sessions: 0, cpuUs: 0 };
  }
  forget(): void {}
  close(): void {}
}
