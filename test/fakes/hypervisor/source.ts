/** One instance a cloud reports as running, with what its machine needs to come up. */
export interface EmulatedInstance {
  /** The cloud's id of the instance (Nova server id, EC2 instance id). */
  id: string;
  /** The fixed address the cloud gave it; the emulated machine answers at exactly this address. */
  privateIp: string;
  /** The keys root may log in with: from the launch's user data (and key pair, where the cloud returns it). */
  authorizedKeys: string[];
}

/**
 * Where a hypervisor learns what to run: a cloud's view of its running instances. Anything
 * not in the answer (pending, deleting, terminated, gone) has no machine.
 */
export interface InstanceSource {
  /** A short name for labels and messages (`openstack`, `ec2`). */
  readonly cloud: string;
  /** The instances running now. Rejects when the cloud cannot be asked; the hypervisor then changes nothing. */
  running(signal?: AbortSignal): Promise<EmulatedInstance[]>;
}
