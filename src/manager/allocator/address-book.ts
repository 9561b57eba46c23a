// Which addresses of each network are in use, built from the store (pure): the virtual IPs of
// services and the addresses of tasks that have not ended. Nothing else is remembered, so a
// new leader rebuilds the same view from the same store, and an address is free again as soon
// as what held it is gone. Addresses are handed out serially from each network's cursor (as
// Docker's IPAM does for swarm networks), wrapping around, so a released address is reused
// only after the rest of the range.
import { hasEnded } from '../../orchestrator/index.ts';
import type { Network, Service, Task } from '../../store/index.ts';
import { AddressesExhaustedError, MissingNetworkError } from './errors.ts';
import {
  contains,
  formatIpv4,
  formatSubnet,
  lastAddress,
  parseIpv4,
  parseSubnet,
  type Subnet,
  subnetSize,
} from './ipv4.ts';

interface Space {
  name: string;
  subnet: Subnet;
  /** Addresses are handed out from here: the subnet, or the network's --ip-range. */
  range: Subnet;
  /** Never handed out: the network address, the broadcast address, the gateway. */
  reserved: Set<number>;
  used: Set<number>;
  usedInRange: number;
  cursor: number;
  storedCursor: number | undefined;
}

export interface AllocatorState {
  networks: readonly Network[];
  services: readonly Service[];
  tasks: readonly Task[];
}

/** The network's address range as the allocator decided it at creation. */
export function addressingOf(
  network: Network,
): { subnet: Subnet; range: Subnet; gateway: number | undefined } | undefined {
  const config = network.IPAMOptions?.Configs?.[0];
  if (config?.Subnet === undefined) return undefined;
  const subnet = parseSubnet(config.Subnet);
  if (typeof subnet === 'string') return undefined;
  let range = subnet;
  if (config.Range) {
    const parsed = parseSubnet(config.Range);
    if (typeof parsed !== 'string') range = parsed;
  }
  const gateway = config.Gateway ? parseIpv4(config.Gateway) : undefined;
  return { subnet, range, gateway };
}

function ipOf(address: string): number | undefined {
  const slash = address.indexOf('/');
  return parseIpv4(slash < 0 ? address : address.slice(0, slash));
}

export class AddressBook {
  private readonly spaces = new Map<string, Space>();

  /** The addresses in use in the cluster's state. */
  static fromState(state: AllocatorState): AddressBook {
    const book = new AddressBook();
    for (const network of state.networks) book.addNetwork(network);
    for (const service of state.services) {
      for (const vip of service.Endpoint?.VirtualIPs ?? []) book.reserve(vip.NetworkID, vip.Addr);
    }
    for (const task of state.tasks) {
      if (hasEnded(task)) continue;
      for (const attachment of task.NetworksAttachments ?? []) {
        for (const address of attachment.Addresses) book.reserve(attachment.Network.ID, address);
      }
    }
    return book;
  }

  /** Adds a network by its allocated range; one without a range is left out. */
  addNetwork(network: Network): void {
    const addressing = addressingOf(network);
    if (addressing === undefined) return;
    const { subnet, range, gateway } = addressing;
    const reserved = new Set([subnet.base, lastAddress(subnet)]);
    if (gateway !== undefined) reserved.add(gateway);
    const stored = network.NextAddress ? parseIpv4(network.NextAddress) : undefined;
    const storedCursor = stored !== undefined && contains(range, stored) ? stored : undefined;
    this.spaces.set(network.ID, {
      name: network.Spec.Name,
      subnet,
      range,
      reserved,
      used: new Set(),
      usedInRange: 0,
      cursor: storedCursor ?? range.base,
      storedCursor,
    });
  }

  knows(networkId: string): boolean {
    return this.spaces.has(networkId);
  }

  /** Marks an address ('a.b.c.d' or 'a.b.c.d/n') used; false when it already was, or is not the network's. */
  reserve(networkId: string, address: string): boolean {
    const space = this.spaces.get(networkId);
    const ip = ipOf(address);
    if (space === undefined || ip === undefined || !contains(space.subnet, ip)) return false;
    if (space.used.has(ip)) return false;
    space.used.add(ip);
    if (contains(space.range, ip)) space.usedInRange++;
    return true;
  }

  isUsed(networkId: string, address: string): boolean {
    const ip = ipOf(address);
    return ip !== undefined && this.spaces.get(networkId)?.used.has(ip) === true;
  }

  release(networkId: string, address: string): void {
    const space = this.spaces.get(networkId);
    const ip = ipOf(address);
    if (space === undefined || ip === undefined || !space.used.delete(ip)) return;
    if (contains(space.range, ip)) space.usedInRange--;
  }

  /**
   * The next free address after the network's cursor, as 'a.b.c.d/prefix'; throws
   * AddressesExhaustedError when none is left. The search stops at the first free address, so
   * it costs at most the used and reserved addresses plus one.
   */
  allocate(networkId: string): string {
    const space = this.spaces.get(networkId);
    if (space === undefined) throw new MissingNetworkError(networkId);
    const size = subnetSize(space.range.prefixBits);
    let reservedInRange = 0;
    for (const ip of space.reserved) if (contains(space.range, ip)) reservedInRange++;
    if (space.usedInRange + reservedInRange >= size) {
      throw new AddressesExhaustedError(space.name, formatSubnet(space.range));
    }
    const start = space.cursor - space.range.base;
    for (let step = 0; step < size; step++) {
      const ip = space.range.base + ((start + step) % size);
      if (space.reserved.has(ip) || space.used.has(ip)) continue;
      space.used.add(ip);
      space.usedInRange++;
      space.cursor = ip + 1 > lastAddress(space.range) ? space.range.base : ip + 1;
      return `${formatIpv4(ip)}/${space.subnet.prefixBits}`;
    }
    throw new Error(`network ${space.name}: free address count and search disagree`);
  }

  /** Networks whose cursor moved since they were read, with the cursor to store. */
  movedCursors(): Map<string, string> {
    const moved = new Map<string, string>();
    for (const [id, space] of this.spaces) {
      if (space.cursor !== (space.storedCursor ?? space.range.base)) {
        moved.set(id, formatIpv4(space.cursor));
      }
    }
    return moved;
  }
}
