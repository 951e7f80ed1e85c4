import type Docker from 'dockerode';

/** Every network the emulated hypervisor makes carries this label, so it can be told from others. */
export const networkLabel = 'hearth-test.hypervisor-network';

/** A cloud's private network, as a Docker bridge with the same subnet. */
export interface NetworkSpec {
  /** The Docker network's name, e.g. `hearth-hv-openstack`. */
  name: string;
  /** The cloud's subnet, e.g. `10.0.0.0/24`. */
  subnet: string;
  /**
   * The bridge's own address on the host: one the cloud never hands out (Neutron's gateway
   * `.1`, one of the four AWS keeps in each subnet). The host reaches the machines through it.
   */
  gateway: string;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number } | null)?.statusCode;

/**
 * Makes sure `spec.name` exists with `spec.subnet`; several hypervisors (test files running side
 * by side) share it, since Docker refuses a second network on an overlapping subnet. A network
 * of that name on another subnet, or another network on that subnet, is an error that says so.
 */
export async function ensureNetwork(docker: Docker, spec: NetworkSpec): Promise<void> {
  const existing = await inspect(docker, spec.name);
  if (existing) {
    checkSubnet(existing, spec);
    return;
  }
  try {
    // Engine API: POST /networks/create
    await docker.createNetwork({
      Name: spec.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
      Labels: { [networkLabel]: spec.subnet },
    });
  } catch (err) {
    // made by another hypervisor in the meantime: fine if it is the same network
    const raced = await inspect(docker, spec.name);
    if (raced) {
      checkSubnet(raced, spec);
      return;
    }
    const overlapping = (await docker.listNetworks()).filter((n) => (n.IPAM?.Config ?? []).some((c) => c.Subnet === spec.subnet));
    const names = overlapping.map((n) => n.Name).join(', ');
    throw new Error(`creating Docker network ${spec.name} on ${spec.subnet}${names ? ` (Docker networks on that subnet: ${names})` : ''}`, { cause: err });
  }
}

/** Removes a hypervisor's network unless machines are still attached to it (another hypervisor's, say). */
export async function removeNetworkIfUnused(docker: Docker, name: string): Promise<void> {
  const info = await inspect(docker, name);
  if (!info || info.Labels?.[networkLabel] === undefined || Object.keys(info.Containers ?? {}).length > 0) return;
  try {
    await docker.getNetwork(name).remove();
  } catch (err) {
    // 404: gone already; 403/409: someone attached a machine meanwhile
    if (![403, 404, 409].includes(statusOf(err) ?? 0)) throw err;
  }
}

async function inspect(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | undefined> {
  try {
    return (await docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

function checkSubnet(info: Docker.NetworkInspectInfo, spec: NetworkSpec): void {
  const subnets = (info.IPAM?.Config ?? []).map((c) => c.Subnet);
  if (!subnets.includes(spec.subnet)) {
    throw new Error(`Docker network ${spec.name} exists on ${subnets.join(', ') || 'no subnet'}, not on ${spec.subnet}: remove it (docker network rm ${spec.name})`);
  }
}
