import { OwnerTag } from './driver.js';

/**
 * What every driver refuses in a launch's tags, whatever its cloud would accept: the owner
 * tags missing, or naming another installation than the one the driver serves.
 */
export function ownerTagsProblem(tags: Readonly<Record<string, string>>, installation: string): string | undefined {
  const owner = tags[OwnerTag.Installation];
  if (!owner) return `tags lack ${OwnerTag.Installation}`;
  if (owner !== installation) return `tags name installation "${owner}", this driver serves "${installation}"`;
  if (!tags[OwnerTag.Machine]) return `tags lack ${OwnerTag.Machine}`;
  return undefined;
}

/** What `tag()` refuses: new owner facts may be added, but an instance never moves to another installation. */
export function retagProblem(tags: Readonly<Record<string, string>>, installation: string): string | undefined {
  const owner = tags[OwnerTag.Installation];
  return owner !== undefined && owner !== installation ? `${OwnerTag.Installation} cannot change` : undefined;
}
