import type Dockerode from 'dockerode';
import { OwnerTag } from '../driver.js';
import { isNotFound, statusOf } from './errors.js';

/**
 * Makes sure the region's network exists before a machine is attached to it: the local
 * Docker region's equivalent of the private network the region playbook builds elsewhere.
 * Created as a plain bridge labelled with the installation, so it can be found and removed
 * by label. One check per network and driver: parallel launches share it, and a failure is
 * forgotten so that the next launch checks again.
 */
export class Networks {
  readonly #ready = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: Dockerode,
    private readonly installation: string,
  ) {}

  /** Resolves once `name` exists; creates it when missing. Rejects with the engine's error. */
  ensure(name: string): Promise<void> {
    let ready = this.#ready.get(name);
    if (!ready) {
      ready = this.#ensure(name);
      this.#ready.set(name, ready);
      ready.catch(() => this.#ready.delete(name));
    }
    return ready;
  }

  /** Forgets that `name` exists: it was removed under us, so the next ensure() checks again. */
  forget(name: string): void {
    this.#ready.delete(name);
  }

  async #ensure(name: string): Promise<void> {
    try {
      // Engine API: GET /networks/{id}
      await this.docker.getNetwork(name).inspect();
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      // Engine API: POST /networks/create; CheckDuplicate makes a second creator (another
      // Hearth process) get 409 instead of a second network of the same name
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [OwnerTag.Installation]: this.installation },
      });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
  }
}
