// What `GET /networks` shows of a swarm network: Docker's NetworkResource as dockerd builds it
// from a swarm network (convert.BasicNetworkFromGRPC), plus the peers: the nodes where the
// network has tasks. Pure.
import { hasEnded } from '../../orchestrator/index.ts';
import type { Network, Node, Task } from '../../store/index.ts';

export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'swarm';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string> | null;
    Config: { Subnet?: string; IPRange?: string; Gateway?: string }[];
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, never>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  Peers?: { Name: string; IP: string }[];
}

/** Nodes with a live task on the network, by hostname: Docker's Peers. */
export function networkPeers(
  network: Network,
  tasks: readonly Task[],
  nodes: ReadonlyMap<string, Node>,
): { Name: string; IP: string }[] {
  const nodeIds = new Set<string>();
  for (const task of tasks) {
    if (task.NodeID === undefined || hasEnded(task)) continue;
    if (task.NetworksAttachments?.some((a) => a.Network.ID === network.ID)) {
      nodeIds.add(task.NodeID);
    }
  }
  return [...nodeIds]
    .flatMap((id) => {
      const node = nodes.get(id);
      return node ? [{ Name: node.Description.Hostname, IP: node.Status.Addr }] : [];
    })
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function networkResource(
  network: Network,
  peers: { Name: string; IP: string }[] = [],
): NetworkResource {
  const ipam = network.IPAMOptions;
  const resource: NetworkResource = {
    Name: network.Spec.Name,
    Id: network.ID,
    Created: network.CreatedAt,
    Scope: 'swarm',
    Driver: network.DriverState?.Name ?? network.Spec.DriverConfiguration?.Name ?? 'overlay',
    EnableIPv6: network.Spec.IPv6Enabled === true,
    IPAM: {
      Driver: ipam?.Driver?.Name ?? 'default',
      Options: ipam?.Driver?.Options ?? null,
      Config: (ipam?.Configs ?? []).map((config) => ({
        ...(config.Subnet ? { Subnet: config.Subnet } : {}),
        ...(config.Range ? { IPRange: config.Range } : {}),
        ...(config.Gateway ? { Gateway: config.Gateway } : {}),
      })),
    },
    Internal: network.Spec.Internal === true,
    Attachable: network.Spec.Attachable === true,
    Ingress: network.Spec.Ingress === true,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { ...network.DriverState?.Options },
    Labels: { ...network.Spec.Labels },
  };
  if (peers.length > 0) resource.Peers = peers;
  return resource;
}
