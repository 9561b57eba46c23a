// A new network's addressing, decided at creation so the network is written whole: the subnet
// asked for (refused when it overlaps another network's) or the first free block of the
// cluster's default address pools, the gateway (the subnet's first address unless given), and
// a VXLAN id (4096 for the ingress network, then the lowest free from 4097, as Docker shows
// them). Pure.

import type { Cluster, IPAMConfig, Network, NetworkSpec, ObjectInput } from '../../store/index.ts';
import {
  addressingOf,
  DEFAULT_ADDRESS_POOLS,
  DEFAULT_SUBNET_SIZE,
  formatIpv4,
  formatSubnet,
  overlaps,
  PoolsExhaustedError,
  parsePools,
  parseSubnet,
  pickSubnet,
  type Subnet,
} from '../allocator/index.ts';
import { NetworkError } from './errors.ts';

export const VXLAN_ID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
const INGRESS_VXLAN_ID = 4096;
const FIRST_VXLAN_ID = 4097;
/** VXLAN ids are 24 bits. */
const LAST_VXLAN_ID = 2 ** 24 - 1;

export interface NetworkAllocationInput {
  id: string;
  spec: NetworkSpec;
  /** The cluster's address pools (absent before init: Docker's defaults). */
  cluster: Pick<Cluster, 'DefaultAddrPool' | 'SubnetSize'> | undefined;
  /** Every network that exists. */
  networks: readonly Network[];
}

function chooseSubnet(input: NetworkAllocationInput): Subnet {
  const taken = input.networks.flatMap((network) => {
    const addressing = addressingOf(network);
    return addressing ? [{ network, subnet: addressing.subnet }] : [];
  });
  const asked = input.spec.IPAMOptions?.Configs?.[0]?.Subnet;
  if (asked !== undefined) {
    const subnet = parseSubnet(asked);
    if (typeof subnet === 'string') throw new Error(`unchecked subnet ${asked}`);
    const clash = taken.find((entry) => overlaps(entry.subnet, subnet));
    if (clash !== undefined) {
      throw new NetworkError(
        'permission_denied',
        `invalid pool request: Pool overlaps with other one on this address space (${asked} overlaps ${formatSubnet(clash.subnet)} of network ${clash.network.Spec.Name}): choose another --subnet`,
      );
    }
    return subnet;
  }
  const pools = input.cluster?.DefaultAddrPool?.length
    ? input.cluster.DefaultAddrPool
    : DEFAULT_ADDRESS_POOLS;
  const size = input.cluster?.SubnetSize || DEFAULT_SUBNET_SIZE;
  const picked = pickSubnet(
    parsePools(pools),
    size,
    taken.map((entry) => entry.subnet),
  );
  if (picked === undefined) throw new PoolsExhaustedError(pools, size);
  return picked;
}

function vxlanIdOf(network: Network): number | undefined {
  const text = network.DriverState?.Options?.[VXLAN_ID_OPTION];
  const id = Number(text);
  return text !== undefined && Number.isInteger(id) ? id : undefined;
}

function chooseVxlanId(input: NetworkAllocationInput): number {
  const used = new Set(input.networks.flatMap((n) => vxlanIdOf(n) ?? []));
  const first = input.spec.Ingress ? INGRESS_VXLAN_ID : FIRST_VXLAN_ID;
  // Bounded by the networks that exist: one of the first used.size + 1 ids is free.
  for (let id = first; id <= LAST_VXLAN_ID; id++) if (!used.has(id)) return id;
  throw new Error('no VXLAN id left');
}

/** The network object to create, with its subnet, gateway and VXLAN id decided. */
export function allocateNetwork(input: NetworkAllocationInput): ObjectInput<'networks'> {
  const subnet = chooseSubnet(input);
  const asked = input.spec.IPAMOptions?.Configs?.[0];
  const config: IPAMConfig = {
    Subnet: formatSubnet(subnet),
    Gateway: asked?.Gateway ?? formatIpv4(subnet.base + 1),
  };
  if (asked?.Range) config.Range = asked.Range;
  const driver = input.spec.IPAMOptions?.Driver ?? { Name: 'default' };
  return {
    ID: input.id,
    Spec: input.spec,
    DriverState: {
      Name: 'overlay',
      Options: {
        ...input.spec.DriverConfiguration?.Options,
        [VXLAN_ID_OPTION]: String(chooseVxlanId(input)),
      },
    },
    IPAMOptions: { Driver: driver, Configs: [config] },
  };
}

/** The spec of the ingress network `swarm init` creates, as swarmkit's. */
export function ingressNetworkSpec(): NetworkSpec {
  return {
    Name: 'ingress',
    Labels: {},
    DriverConfiguration: { Name: 'overlay' },
    Ingress: true,
    Scope: 'swarm',
  };
}

/**
 * The ingress network of a new cluster (10.0.0.0/24 with Docker's default pool), for the
 * batch that creates the cluster.
 */
export function ingressNetworkInput(
  id: string,
  cluster: Pick<Cluster, 'DefaultAddrPool' | 'SubnetSize'>,
): ObjectInput<'networks'> {
  return allocateNetwork({ id, spec: ingressNetworkSpec(), cluster, networks: [] });
}
