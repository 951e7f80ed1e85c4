import { createHash } from 'node:crypto';
import { InstanceState, type Instance } from '../driver.js';

/** One address of a server on one network (Nova: `addresses`). */
export interface NovaAddress {
  addr: string;
  version?: number;
  'OS-EXT-IPS:type'?: 'fixed' | 'floating' | string;
}

/** A Nova server as GET /servers/{id} and /servers/detail return it; only what the mapping needs. */
export interface NovaServer {
  id: string;
  name?: string;
  status: string;
  created: string;
  metadata?: Record<string, string>;
  tags?: string[];
  addresses?: Record<string, NovaAddress[]>;
  fault?: { message?: string; code?: number; details?: string };
  'OS-EXT-STS:task_state'?: string | null;
}

/** Every owner tag shares this prefix; other metadata keys are never reported as tags. */
export const ownerTagPrefix = 'hearth:';

/** Nova's limit on a metadata key and on a value. */
export const metadataMaxChars = 255;

/** Nova's limit on a server tag (and it may hold neither "/" nor ","). */
const serverTagMaxChars = 60;

/**
 * The server tag that marks an installation's servers, for `GET /servers/detail?tags=`
 * (microversion 2.26): `hearth:installation=<id>`, or a hash of the id when that would not
 * fit in a server tag. The metadata still carries the id itself, and list checks both.
 */
export function installationTag(installation: string): string {
  const plain = `hearth:installation=${installation}`;
  if (plain.length <= serverTagMaxChars && !/[/,]/.test(installation)) return plain;
  return `hearth:installation#${createHash('sha256').update(installation).digest('hex').slice(0, 32)}`;
}

/** The owner tags among the server's metadata. */
export function ownerTags(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) if (key.startsWith(ownerTagPrefix)) tags[key] = value;
  return tags;
}

/** Why Nova would refuse these tags as metadata (a key outside hearth:, or one over 255 chars), or undefined. */
export function tagsProblem(tags: Readonly<Record<string, string>>): string | undefined {
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith(ownerTagPrefix)) return `tag "${key}" is not an owner tag (hearth:…)`;
    if (key.length > metadataMaxChars) return `tag key "${key.slice(0, 40)}…" is longer than Nova's ${metadataMaxChars} characters`;
    if (value.length > metadataMaxChars) return `tag ${key} is longer than Nova's ${metadataMaxChars} characters`;
  }
  return undefined;
}

/** Nova's server status → Hearth's state (Libcloud's NODE_STATE_MAP). */
const stateOfStatus: Readonly<Record<string, InstanceState>> = {
  BUILD: InstanceState.Pending,
  ACTIVE: InstanceState.Running,
  REBUILD: InstanceState.Pending,
  REBOOT: InstanceState.Pending,
  HARD_REBOOT: InstanceState.Pending,
  PASSWORD: InstanceState.Running,
  RESIZE: InstanceState.Pending,
  VERIFY_RESIZE: InstanceState.Pending,
  REVERT_RESIZE: InstanceState.Pending,
  MIGRATING: InstanceState.Pending,
  RESCUE: InstanceState.Stopped,
  SHUTOFF: InstanceState.Stopped,
  STOPPED: InstanceState.Stopped,
  SUSPENDED: InstanceState.Stopped,
  PAUSED: InstanceState.Stopped,
  SHELVED: InstanceState.Stopped,
  SHELVED_OFFLOADED: InstanceState.Stopped,
  ERROR: InstanceState.Error,
  UNKNOWN: InstanceState.Error,
  DELETED: InstanceState.Deleting,
  SOFT_DELETED: InstanceState.Deleting,
};

/** Maps a server's status (and a delete in progress) to a state, with the fault wherever it is `error`. */
export function instanceState(server: NovaServer): { state: InstanceState; fault?: string } {
  // a server being deleted keeps its status (ACTIVE) until it is gone; only the task says so
  if (server['OS-EXT-STS:task_state'] === 'deleting') return { state: InstanceState.Deleting };
  const state = stateOfStatus[server.status];
  if (state === undefined) return { state: InstanceState.Error, fault: `unknown nova server status "${server.status}"` };
  if (state !== InstanceState.Error) return { state };
  const fault = server.fault?.message?.trim();
  return { state, fault: fault ? fault : `nova server is ${server.status} without a fault message` };
}

/** True for a server Nova still shows but that is gone for Hearth (soft-deleted, or listed with deleted=true). */
export function isGone(server: NovaServer): boolean {
  return server.status === 'DELETED' || server.status === 'SOFT_DELETED';
}

/** The first address of `type` (fixed or floating), on `network` if it has one there, IPv4 before IPv6. */
function addressOf(server: NovaServer, type: 'fixed' | 'floating', network: string | undefined): string | undefined {
  const entries = Object.entries(server.addresses ?? {});
  const ordered = network ? [...entries.filter(([n]) => n === network), ...entries.filter(([n]) => n !== network)] : entries;
  const all = ordered.flatMap(([, list]) => list).filter((a) => (a['OS-EXT-IPS:type'] ?? 'fixed') === type);
  return (all.find((a) => a.version !== 6) ?? all[0])?.addr;
}

/** The Instance for a server; the private address is the one on `network` (its name) when it has one. */
export function toInstance(server: NovaServer, network?: string): Instance {
  const { state, fault } = instanceState(server);
  const privateIp = addressOf(server, 'fixed', network);
  const publicIp = addressOf(server, 'floating', undefined);
  return {
    ref: { id: server.id },
    state,
    ...(privateIp ? { privateIp } : {}),
    ...(publicIp ? { publicIp } : {}),
    tags: ownerTags(server.metadata),
    createdAt: new Date(server.created),
    ...(fault === undefined ? {} : { fault }),
    raw: server,
  };
}
