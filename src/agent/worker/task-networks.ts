// The swarm networks a task's container joins, from the addresses the allocator gave it
// (Task.NetworksAttachments). The ingress network is left out: published ports reach tasks
// through the node's mesh, not through an ingress bridge.
import type { TaskNetwork } from '../../runtime/driver.ts';
import type { Task } from '../../store/index.ts';

export function taskNetworks(task: Task): TaskNetwork[] {
  const out: TaskNetwork[] = [];
  for (const attachment of task.NetworksAttachments ?? []) {
    const network = attachment.Network;
    if (network.Spec.Ingress === true) continue;
    const config = network.IPAMOptions?.Configs?.[0];
    const address = attachment.Addresses[0]?.split('/')[0];
    if (config?.Subnet === undefined || config.Gateway === undefined || address === undefined) {
      continue;
    }
    const entry: TaskNetwork = {
      id: network.ID,
      name: network.Spec.Name,
      subnet: config.Subnet,
      gateway: config.Gateway,
      address,
    };
    if (network.Spec.Internal === true) entry.internal = true;
    out.push(entry);
  }
  return out;
}
