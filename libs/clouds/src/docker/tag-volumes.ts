import type Dockerode from 'dockerode';
import { OwnerTag } from '../driver.js';
import { isConflict, isNotFound } from './errors.js';
import { DriverLabel, labelFilter, ownerTags } from './map.js';

/**
 * Owner tags added after launch, kept in Docker itself.
 *
 * Docker fixes a container's labels when it is created, yet Hearth tags live machines
 * (`hearth:user` and `hearth:allocated-at` once allocated), and those tags must outlive a
 * restart of Hearth: the cloud's tags are what machine records are rebuilt from. So the
 * added tags go on companion named volumes, `hearth-tags-<container id prefix>-<version>-<nonce>`,
 * which hold no data: their *labels* are the tags. A volume is cheap (an empty directory),
 * takes labels, and is found by label in one call, so list() costs one more request in all,
 * not one per machine. Nothing is mounted; the machine itself never sees them, so a user
 * with root on the machine cannot change who owns it.
 *
 * Each version holds every added tag (the previous version merged with the new tags), and
 * the highest version wins. tag() writes the new version before it removes the old ones, so
 * a crash in between leaves two versions (the newer still wins), never none; the next tag()
 * or terminate() removes what is left. The pool manager tags a machine only while holding
 * its record's CAS, so two tag() calls on one machine do not race.
 *
 * Alternatives weighed: rewriting a file inside the container (the user could edit it, and
 * list would need one exec per machine), recreating the container (loses the running
 * machine), and one volume per container replaced in place (a crash between remove and
 * create loses the tags).
 */
export class TagVolumes {
  constructor(
    private readonly docker: Dockerode,
    private readonly installation: string,
  ) {}

  /** The added tags of one container; {} when it has none. */
  async read(containerId: string, signal?: AbortSignal): Promise<Record<string, string>> {
    return tagsOf(current(await this.versions(containerId, signal)));
  }

  /** The added tags of every container of this installation, by container id (one call). */
  async readAll(signal?: AbortSignal): Promise<Map<string, Record<string, string>>> {
    // Docker ANDs label filters: this installation's volumes that are tag volumes
    const filters = { label: [labelFilter(OwnerTag.Installation, this.installation), labelFilter(DriverLabel.TagsFor)] };
    const { Volumes } = await this.docker.listVolumes({ filters, ...(signal ? { abortSignal: signal } : {}) });
    const byContainer = new Map<string, Dockerode.VolumeInspectInfo[]>();
    for (const volume of Volumes ?? []) {
      const id = volume.Labels[DriverLabel.TagsFor];
      if (id) byContainer.set(id, [...(byContainer.get(id) ?? []), volume]);
    }
    return new Map([...byContainer].map(([id, versions]) => [id, tagsOf(current(versions))]));
  }

  /** Merges `tags` into the container's added tags as a new version, then drops older versions. */
  async write(containerId: string, tags: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void> {
    const versions = await this.versions(containerId, signal);
    const latest = current(versions);
    const version = (latest ? versionOf(latest) : 0) + 1;
    // the nonce keeps two writers apart: creating an existing volume name returns the old volume unchanged
    const nonce = Math.random().toString(36).slice(2, 8);
    const name = `hearth-tags-${containerId.slice(0, 12)}-${version}-${nonce}`;
    const labels = {
      ...tagsOf(latest),
      ...tags,
      [OwnerTag.Installation]: this.installation,
      [DriverLabel.TagsFor]: containerId,
      [DriverLabel.TagsVersion]: String(version),
    };
    // Engine API: POST /volumes/create
    await this.docker.createVolume({ Name: name, Labels: labels, ...(signal ? { abortSignal: signal } : {}) });
    await this.removeVolumes(versions.map((v) => v.Name));
  }

  /** Removes every tag volume of the container (terminate); volumes already gone are fine. */
  async removeAll(containerId: string, signal?: AbortSignal): Promise<void> {
    const versions = await this.versions(containerId, signal);
    await this.removeVolumes(versions.map((v) => v.Name));
  }

  /** Every tag volume of one container. */
  private async versions(containerId: string, signal?: AbortSignal): Promise<Dockerode.VolumeInspectInfo[]> {
    // Engine API: GET /volumes?filters={"label":["hearth.tags-for=<id>"]}
    const filters = { label: [labelFilter(DriverLabel.TagsFor, containerId)] };
    const { Volumes } = await this.docker.listVolumes({ filters, ...(signal ? { abortSignal: signal } : {}) });
    return Volumes ?? [];
  }

  private async removeVolumes(names: readonly string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        try {
          // Engine API: DELETE /volumes/{name}
          await this.docker.getVolume(name).remove();
        } catch (err) {
          // gone already, or being removed by a concurrent terminate: either way it goes
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }),
    );
  }
}

function versionOf(volume: Dockerode.VolumeInspectInfo): number {
  const version = Number(volume.Labels[DriverLabel.TagsVersion]);
  return Number.isFinite(version) ? version : 0;
}

/** The newest version: highest version number, then name, so every reader picks the same one. */
function current(versions: readonly Dockerode.VolumeInspectInfo[]): Dockerode.VolumeInspectInfo | undefined {
  let best: Dockerode.VolumeInspectInfo | undefined;
  for (const v of versions) {
    if (!best || versionOf(v) > versionOf(best) || (versionOf(v) === versionOf(best) && v.Name > best.Name)) best = v;
  }
  return best;
}

/** The owner tags a tag volume holds (its bookkeeping labels left out). */
function tagsOf(volume: Dockerode.VolumeInspectInfo | undefined): Record<string, string> {
  const tags = ownerTags(volume?.Labels);
  // the installation label is there to find the volume; the container's own label is the tag
  delete tags[OwnerTag.Installation];
  return tags;
}
