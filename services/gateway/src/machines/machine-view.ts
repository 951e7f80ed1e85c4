import type { AllocateReply, Connection, MachineListing } from '@hearth/bus';
import type { Machine } from '../schemas.js';

/** The command to paste: `ssh -p 22 -J bastion@203.0.113.9:22 ada@10.0.0.5`. */
export function sshCommand(connect: Connection): string {
  return ['ssh', '-p', String(connect.port), ...(connect.jump ? ['-J', connect.jump] : []), `${connect.user}@${connect.host}`].join(' ');
}

/** The machine a served allocation handed to `user`. */
export function servedMachine(reply: AllocateReply, user: string, allocatedAt = Date.now()): Machine {
  return {
    id: reply.machineId,
    type: reply.type,
    cloud: reply.cloud,
    region: reply.region,
    state: 'allocated',
    user,
    allocatedAt,
    connect: reply.connect,
    sshCommand: sshCommand(reply.connect),
  };
}

/** An allocated machine as its user sees it, or undefined for one that is not (yet, or any more) theirs to use. */
export function listedMachine(m: MachineListing): Machine | undefined {
  if (m.state !== 'allocated' || !m.user || !m.connect) return undefined;
  const allocatedAt = m.allocatedAt ?? m.updatedAt;
  return {
    id: m.id,
    type: m.type,
    cloud: m.cloud,
    region: m.region,
    state: m.state,
    user: m.user,
    allocatedAt,
    connect: m.connect,
    sshCommand: sshCommand(m.connect),
    ...(m.warnedAt !== undefined ? { warnedAt: m.warnedAt } : {}),
    ...(m.reclaimAt !== undefined ? { reclaimAt: m.reclaimAt } : {}),
  };
}
