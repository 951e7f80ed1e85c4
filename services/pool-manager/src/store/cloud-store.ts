import { buckets, CloudStatus, HearthError, isConflict, openKv, type Bus, type TypedKv } from '@hearth/bus';

/**
 * Cloud records in KV `clouds` (cloud name → CloudStatus): health and drain changes are
 * written here, so a restarted pool manager keeps a drained cloud drained. Writes are
 * compare-and-set on the revision last seen; a lost race re-reads and writes again (the
 * pool manager is the one writer of health; drain is last-writer-wins by design).
 */
export class CloudStore {
  private readonly revisions = new Map<string, number>();

  private constructor(private readonly kv: TypedKv<typeof CloudStatus>) {}

  static async open(bus: Bus): Promise<CloudStore> {
    return new CloudStore(await openKv(bus, buckets.clouds, CloudStatus));
  }

  /** The stored record, or undefined for a cloud never recorded. */
  async get(name: string): Promise<CloudStatus | undefined> {
    const stored = await this.kv.get(name);
    if (stored) this.revisions.set(name, stored.revision);
    return stored?.value;
  }

  async save(status: CloudStatus): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const revision = this.revisions.get(status.name);
      try {
        const written = revision === undefined ? await this.kv.create(status.name, status) : await this.kv.update(status.name, status, revision);
        this.revisions.set(status.name, written);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
        const fresh = await this.kv.get(status.name);
        if (fresh) this.revisions.set(status.name, fresh.revision);
        else this.revisions.delete(status.name);
      }
    }
    throw new HearthError('CONFLICT', `saving cloud ${status.name}: still contended after 3 attempts`);
  }
}
