// Subnets for networks created without one: the first block of the cluster's SubnetSize in its
// default address pools (Docker's default: 10.0.0.0/8 in /24 blocks) that overlaps no other
// network, as swarmkit's default IPAM hands them out. Pure.
import { lastAddress, overlaps, parseSubnet, type Subnet, subnetSize } from './ipv4.ts';

/** Docker's defaults for `swarm init` without --default-addr-pool. */
export const DEFAULT_ADDRESS_POOLS = ['10.0.0.0/8'];
export const DEFAULT_SUBNET_SIZE = 24;

/** The cluster's pools as subnets; a malformed entry is skipped (init checks what it stores). */
export function parsePools(pools: readonly string[]): Subnet[] {
  const parsed: Subnet[] = [];
  for (const pool of pools) {
    const subnet = parseSubnet(pool);
    if (typeof subnet !== 'string') parsed.push(subnet);
  }
  return parsed;
}

/**
 * The first subnet of `prefixBits` inside the pools that overlaps none of `taken`, or
 * undefined when the pools are full. Each step jumps past one taken subnet, so a pool costs at
 * most taken.length + 1 steps however large it is.
 */
export function pickSubnet(
  pools: readonly Subnet[],
  prefixBits: number,
  taken: readonly Subnet[],
): Subnet | undefined {
  const size = subnetSize(prefixBits);
  for (const pool of pools) {
    if (prefixBits < pool.prefixBits) continue;
    let base = pool.base;
    for (let step = 0; step <= taken.length && base + size - 1 <= lastAddress(pool); step++) {
      const candidate = { base, prefixBits };
      const blocker = taken.find((subnet) => overlaps(subnet, candidate));
      if (blocker === undefined) return candidate;
      const after = Math.max(base + size, lastAddress(blocker) + 1);
      base = Math.ceil(after / size) * size;
    }
  }
  return undefined;
}
