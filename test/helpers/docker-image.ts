import { ensureAnalysisImage } from '@hearth/clouds';
import Docker from 'dockerode';

/**
 * Docker for tests: the analysis image built once per test process, a loud failure when no
 * engine is reachable (Hearth's CI installs and starts dockerd, so a missing engine is a
 * broken run, never a reason to skip), and removal by label of whatever a test made.
 */

/** The engine the tests use: the default socket, as the driver's config default. */
export const dockerSocketPath = '/var/run/docker.sock';

let engine: Docker | undefined;
let image: Promise<string> | undefined;

/** A dockerode client on the test engine. */
export function docker(): Docker {
  engine ??= new Docker({ socketPath: dockerSocketPath });
  return engine;
}

/** Resolves when the engine answers; otherwise fails with what to do about it. */
export async function requireDocker(): Promise<void> {
  try {
    await docker().ping();
  } catch (err) {
    throw new Error(
      `the Docker engine at ${dockerSocketPath} is not reachable; these tests need it (start it: dockerd > /tmp/dockerd.log 2>&1 &)`,
      { cause: err },
    );
  }
}

/**
 * The analysis image tag (`hearth/analysis:<hash>`), built by images/build.sh on first use
 * and cached for the rest of the process. The script itself skips images whose tag exists,
 * so every test file may call this; only the first build of a definition is slow.
 */
export function analysisImage(): Promise<string> {
  if (!image) {
    image = requireDocker().then(() => ensureAnalysisImage());
    // a failed build is not cached: the next file tries again and reports its own failure
    void image.catch(() => {
      image = undefined;
    });
  }
  return image;
}

/** True when container `id` is gone, or on its way out (Docker says `removing`). */
export async function containerGone(id: string): Promise<boolean> {
  try {
    const info = await docker().getContainer(id).inspect();
    return info.State.Status === 'removing';
  } catch {
    return true;
  }
}

/** What removeByLabel removed, for tests that check their own cleanup. */
export interface Removed {
  containers: number;
  volumes: number;
  networks: number;
}

/**
 * Removes every container, then every volume, then every network carrying `label`
 * (`key=value` or `key`): containers first, since a volume or network in use cannot go.
 * Things already gone are fine; anything else that fails is thrown together at the end.
 */
export async function removeByLabel(label: string): Promise<Removed> {
  const filters = { label: [label] };
  const failures: unknown[] = [];
  const settle = async (jobs: Promise<unknown>[]): Promise<number> => {
    const results = await Promise.allSettled(jobs);
    for (const r of results) if (r.status === 'rejected' && !isGone(r.reason)) failures.push(r.reason);
    return results.length;
  };
  const containers = await docker().listContainers({ all: true, filters });
  const removedContainers = await settle(
    containers.map((c) => docker().getContainer(c.Id).remove({ force: true, v: true })),
  );
  const { Volumes } = await docker().listVolumes({ filters });
  const removedVolumes = await settle((Volumes ?? []).map((v) => docker().getVolume(v.Name).remove()));
  const networks = await docker().listNetworks({ filters });
  const removedNetworks = await settle(networks.map((n) => docker().getNetwork(n.Id).remove()));
  if (failures.length > 0) throw new AggregateError(failures, `removing Docker objects labelled ${label}`);
  return { containers: removedContainers, volumes: removedVolumes, networks: removedNetworks };
}

/** 404, or 409 "removal already in progress": the object is gone or going. */
function isGone(err: unknown): boolean {
  const status = (err as { statusCode?: number } | null)?.statusCode;
  return status === 404 || status === 409;
}
