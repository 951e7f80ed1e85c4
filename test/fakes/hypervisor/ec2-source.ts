import type { Ec2Fake } from '../ec2/index.js';
import { rootKeysOfUserData } from './cloud-init.js';
import type { EmulatedInstance, InstanceSource } from './source.js';

/**
 * The running instances of an EC2 fake, read from the fake's own record (the UserData it was
 * given, decoded, and the address it handed out), in this process: the fake keeps no public
 * keys for its key pairs, so only user data can carry root's keys, as with Hearth's driver.
 * `accept` narrows the instances to those whose tags it accepts (one installation's, say).
 */
export function ec2FakeSource(fake: Ec2Fake, opts: { cloud?: string; accept?: (tags: Readonly<Record<string, string>>) => boolean } = {}): InstanceSource {
  return {
    cloud: opts.cloud ?? 'ec2',
    running: async () => {
      const out: EmulatedInstance[] = [];
      for (const instance of fake.account.ordered()) {
        if (fake.account.state(instance) !== 'running') continue;
        if (opts.accept && !opts.accept(Object.fromEntries(instance.tags))) continue;
        out.push({ id: instance.id, privateIp: instance.privateIp, authorizedKeys: rootKeysOfUserData(instance.userData) });
      }
      return out;
    },
  };
}
