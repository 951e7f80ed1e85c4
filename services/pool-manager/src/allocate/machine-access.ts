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

/**
 * Runs as root in root's login shell, after `u=<user> sudo=<yes or empty>` (the user name is a
 * checked login name, so it is safe to splice in), with the public key on standard input.
 * Creates the account without `useradd` (~35 ms of locking, logging and lastlog work in a
 * one-core container): the passwd, shadow, group and gshadow lines are appended directly,
 * the home comes from /etc/skel (which holds an empty .ssh in Hearth's images), and only `cp`
 * and `chown` run as processes; everything else is shell builtins. The password field is `*`
 * (no password; key logins only; `!` would read as a locked account to sshd without PAM).
 * A name that is a system account or an existing group (root, sshd, sudo, ...) is refused.
 */
const personalizeScript = `set -eu
home=/home/$u uid=999 found=
while IFS=: read -r name _ id _; do
  if [ "$name" = "$u" ]; then found=$id; fi
  if [ "$id" -gt "$uid" ] && [ "$id" -lt 60000 ]; then uid=$id; fi
done < /etc/passwd
if [ -z "$found" ]; then
  while IFS=: read -r name _ id _; do
    if [ "$name" = "$u" ]; then echo "$u is a group on this machine; not a user name Hearth can create" >&2; exit 3; fi
    if [ "$id" -gt "$uid" ] && [ "$id" -lt 60000 ]; then uid=$id; fi
  done < /etc/group
  uid=$((uid + 1))
  echo "$u:x:$uid:$uid::$home:/bin/bash" >> /etc/passwd
  echo "$u:*::0:99999:7:::" >> /etc/shadow
  echo "$u:x:$uid:" >> /etc/group
  echo "$u:!::" >> /etc/gshadow
  [ -e "$home" ] || cp -R /etc/skel "$home"
elif [ "$found" -lt 1000 ] || [ "$found" -ge 60000 ]; then
  echo "$u is a system account on this machine; not a user name Hearth can give out" >&2; exit 3
fi
[ -d "$home/.ssh" ] || mkdir -m 700 "$home/.ssh"
umask 077
while IFS= read -r line || [ -n "$line" ]; do echo "$line"; done > "$home/.ssh/authorized_keys"
if [ -z "$found" ]; then chown -R "$u:$u" "$home"; else chown "$u:$u" "$home/.ssh" "$home/.ssh/authorized_keys"; fi
if [ -n "$sudo" ]; then
  umask 337
  echo "$u ALL=(ALL) NOPASSWD:ALL" > "/etc/sudoers.d/hearth-$u"
elif [ -e "/etc/sudoers.d/hearth-$u" ]; then
  rm -f "/etc/sudoers.d/hearth-$u"
fi`;

const loginName = /^[a-z_][a-z0-9_-]{0,31}$/;

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
    // spliced into a shell command: the request schema checks it, and so does this, once more
    if (!loginName.test(user)) throw new Error(`not a login name: ${JSON.stringify(user)}`);
    const session = await this.session(machine);
    // straight into root's shell: no `sh -c` wrapper, one process start fewer
    const result = await session.exec(`u=${user} sudo=${sudo ? 'yes' : ''}\n${personalizeScript}`, {
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
