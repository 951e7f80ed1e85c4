import type { Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import type { CallOptions, Quota } from '../driver.js';
import type { Ec2Api } from './api.js';
import type { Ec2Settings } from './config.js';
import { countedStateNames } from './map.js';

/** vCPUs and memory of one instance type. */
interface Shape {
  vcpus: number;
  ramMb: number;
}

/**
 * Quota headroom of one account and region. EC2 limits running On-Demand instances by vCPUs
 * per instance family, a number it keeps in Service Quotas, not in the EC2 API; the EC2 API
 * still answers `max-instances` (DescribeAccountAttributes), which AWS documents as no longer
 * the real limit. So the configured limits win, then `max-instances`, then Infinity. Use is
 * every pending or running instance of the account in the region (the limits are the
 * account's, not this installation's), with vCPUs and memory from DescribeInstanceTypes,
 * remembered per type: a type's shape never changes.
 */
export class Ec2Quota {
  readonly #shapes = new Map<string, Shape>();

  constructor(
    private readonly api: Ec2Api,
    private readonly settings: Ec2Settings,
  ) {}

  async read(doing: string, opts: CallOptions | undefined): Promise<Quota> {
    const [attributes, instances] = await Promise.all([
      this.settings.limits.instances === undefined ? this.api.accountAttributes(doing, opts) : undefined,
      this.api.describeInstances([{ Name: 'instance-state-name', Values: [...countedStateNames] }], doing, opts),
    ]);
    await this.#learnShapes(instances, doing, opts);
    const used = { instances: instances.length, cores: 0, ramMb: 0 };
    for (const instance of instances) {
      const shape = this.#shapeOf(instance);
      used.cores += shape.vcpus;
      used.ramMb += shape.ramMb;
    }
    const maxInstances = Number(attributes?.get('max-instances')?.[0]);
    const instanceLimit = this.settings.limits.instances ?? (Number.isFinite(maxInstances) ? maxInstances : Infinity);
    return { limits: { instances: instanceLimit, cores: this.settings.limits.cores ?? Infinity, ramMb: Infinity }, used };
  }

  /** Asks EC2 for the shapes of the types not seen before. */
  async #learnShapes(instances: readonly Ec2Instance[], doing: string, opts: CallOptions | undefined): Promise<void> {
    const unknown = [...new Set(instances.flatMap((i) => i.InstanceType ?? []))].filter((t) => !this.#shapes.has(t));
    if (unknown.length === 0) return;
    for (const info of await this.api.instanceTypes(unknown, doing, opts)) {
      if (!info.InstanceType) continue;
      this.#shapes.set(info.InstanceType, { vcpus: info.VCpuInfo?.DefaultVCpus ?? 0, ramMb: info.MemoryInfo?.SizeInMiB ?? 0 });
    }
  }

  /** The shape of a type EC2 described, else what the instance itself says (its CPU options; no memory). */
  #shapeOf(instance: Ec2Instance): Shape {
    const known = instance.InstanceType === undefined ? undefined : this.#shapes.get(instance.InstanceType);
    if (known) return known;
    const cpu = instance.CpuOptions;
    return { vcpus: (cpu?.CoreCount ?? 0) * (cpu?.ThreadsPerCore ?? 1), ramMb: 0 };
  }
}
