import type Dockerode from 'dockerode';
import { InstanceState, type Instance } from '../driver.js';

/**
 * How Hearth uses Docker labels. Owner tags (`hearth:installation`, `hearth:machine`, …) are
 * container labels under their own names, so `docker ps --filter label=hearth:installation=…`
 * shows an installation's machines. The driver's own bookkeeping lives under `hearth.` (a
 * dot, not a colon) and is never reported as a tag.
 */
export const DriverLabel = {
  /** cpus of the launch spec, for quota use (the list call does not return HostConfig). */
  Cpus: 'hearth.cpus',
  /** memoryMb of the launch spec, for quota use. */
  RamMb: 'hearth.ram-mb',
  /** The network the machine was attached to: its address there is the private address. */
  Network: 'hearth.network',
  /** On a tag volume: the id of the container whose tags it holds. */
  TagsFor: 'hearth.tags-for',
  /** On a tag volume: its version; the highest version of a container is the current one. */
  TagsVersion: 'hearth.tags-version',
} as const;

/** Every owner tag shares this prefix; image labels and driver bookkeeping do not. */
export const ownerTagPrefix = 'hearth:';

/** The owner tags among `labels` (the image's own labels, which Docker merges in, left out). */
export function ownerTags(labels: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) if (key.startsWith(ownerTagPrefix)) tags[key] = value;
  return tags;
}

/** The first key of `tags` outside the owner tag namespace, or undefined when all are owner tags. */
export function foreignTagKey(tags: Readonly<Record<string, string>>): string | undefined {
  return Object.keys(tags).find((key) => !key.startsWith(ownerTagPrefix));
}

/** A Docker API label filter: `key=value`, or `key` alone for "has the label". */
export function labelFilter(key: string, value?: string): string {
  return value === undefined ? key : `${key}=${value}`;
}

/**
 * One container as the driver sees it, whichever Engine API call produced it: inspect
 * (GET /containers/{id}/json) or list (GET /containers/json). Only what the mapping needs.
 */
export interface ContainerView {
  id: string;
  /** Docker's status word: created, running, paused, restarting, removing, exited, dead. */
  status: string;
  /** Exit code of a stopped container, when Docker reports one. */
  exitCode?: number;
  /** Why the runtime could not run the container (State.Error), or the list call's status text. */
  detail?: string;
  oomKilled?: boolean;
  labels: Readonly<Record<string, string>>;
  createdAt: Date;
  /** Address on each attached network, by network name. */
  addresses: Readonly<Record<string, string>>;
}

/** Docker's container status → Hearth's state (Libcloud's NODE_STATE_MAP). */
const stateOfStatus: Readonly<Record<string, InstanceState>> = {
  created: InstanceState.Pending,
  running: InstanceState.Running,
  restarting: InstanceState.Pending,
  paused: InstanceState.Stopped,
  exited: InstanceState.Stopped,
  dead: InstanceState.Error,
  removing: InstanceState.Deleting,
};

/**
 * A container stays `created` only between the create and start calls of a launch, which
 * take well under a second. Older than this, with no start of it under way in this process,
 * its launch was cut short (the launching process died between the two calls): it will never
 * start by itself, and waiting for it would hold its machine in `booting` until its boot timeout.
 */
export const neverStartedAfterMs = 10_000;

/** What the driver knows besides the container: the time, and whether it is starting the container itself. */
export interface StateContext {
  now: number;
  starting: boolean;
}

/**
 * Maps a container's status to a state, with a fault wherever the state is `error`. With a
 * context, a container left `created` by an interrupted launch is an error (see neverStartedAfterMs).
 */
export function instanceState(view: ContainerView, context?: StateContext): { state: InstanceState; fault?: string } {
  const state = stateOfStatus[view.status];
  if (state === undefined) return { state: InstanceState.Error, fault: `unknown docker container status "${view.status}"` };
  if (view.status === 'created' && context && !context.starting && context.now - view.createdAt.getTime() > neverStartedAfterMs) {
    return { state: InstanceState.Error, fault: 'created but never started: its launch was interrupted' };
  }
  if (view.status === 'exited' && view.exitCode !== undefined && view.exitCode !== 0) {
    // the entrypoint (sshd) died: the machine is broken, not switched off
    const why = view.oomKilled ? 'killed: out of memory' : view.detail || `exited with code ${view.exitCode}`;
    return { state: InstanceState.Error, fault: why };
  }
  if (state === InstanceState.Error) return { state, fault: view.detail || `docker container is ${view.status}` };
  return { state };
}

/**
 * The Instance for a container. Tags are its owner-tag labels overlaid with the tags added
 * after launch (see tag-volumes.ts). The private address is the one on the network it was
 * launched on, else the first it has.
 */
export function toInstance(view: ContainerView, addedTags: Readonly<Record<string, string>>, raw: unknown, context?: StateContext): Instance {
  const { state, fault } = instanceState(view, context);
  const network = view.labels[DriverLabel.Network];
  const privateIp = (network && view.addresses[network]) || Object.values(view.addresses).find((ip) => ip !== '');
  return {
    ref: { id: view.id },
    state,
    ...(privateIp ? { privateIp } : {}),
    tags: { ...ownerTags(view.labels), ...addedTags },
    createdAt: view.createdAt,
    ...(fault === undefined ? {} : { fault }),
    raw,
  };
}

/** Addresses by network name; Docker reports "" for a network without an address yet. */
function addressesOf(networks: Readonly<Record<string, { IPAddress?: string }>> | null | undefined): Record<string, string> {
  const addresses: Record<string, string> = {};
  for (const [name, settings] of Object.entries(networks ?? {})) {
    if (settings.IPAddress) addresses[name] = settings.IPAddress;
  }
  return addresses;
}

/** From GET /containers/{id}/json. */
export function viewOfInspect(info: Dockerode.ContainerInspectInfo): ContainerView {
  const { State } = info;
  return {
    id: info.Id,
    status: State.Status,
    ...(State.Status === 'exited' || State.Status === 'dead' ? { exitCode: State.ExitCode } : {}),
    ...(State.Error ? { detail: State.Error } : {}),
    oomKilled: State.OOMKilled,
    labels: info.Config.Labels ?? {},
    createdAt: new Date(info.Created),
    addresses: addressesOf(info.NetworkSettings.Networks),
  };
}

/** "Exited (137) 2 minutes ago" → 137: the list call gives the exit code only in its status text. */
const exitedStatus = /^Exited \((-?\d+)\)/;

/** From one entry of GET /containers/json. */
export function viewOfSummary(info: Dockerode.ContainerInfo): ContainerView {
  const exited = exitedStatus.exec(info.Status);
  return {
    id: info.Id,
    status: info.State,
    // with the code parsed, the fault reads the same as describe's ("exited with code 1")
    ...(exited?.[1] === undefined ? { detail: info.Status } : { exitCode: Number(exited[1]) }),
    labels: info.Labels,
    createdAt: new Date(info.Created * 1000),
    addresses: addressesOf(info.NetworkSettings.Networks),
  };
}
