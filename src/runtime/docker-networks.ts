// A swarm network on a node with a Docker Engine is a local bridge network of that engine:
// same subnet and gateway on every node (each node's bridge is its own; task addresses are
// unique cluster-wide, so nothing collides), named `shoal-<name>`, its Linux bridge named
// after the network's ID so the mesh finds it (DNS server on the gateway, virtual IPs and
// other nodes' task addresses added to it). Made on first use, found again by label.
import type Dockerode from 'dockerode';
import type { TaskNetwork } from './driver.ts';
import { RuntimeError } from './driver.ts';

export const NETWORK_ID_LABEL = 'com.shoal.network.id';

/** The engine's name for a swarm network. */
export function dockerNetworkName(network: Pick<TaskNetwork, 'name'>): string {
  return `shoal-${network.name}`;
}

/** The Linux bridge of a swarm network on every node (at most 15 characters). */
export function bridgeNameOf(networkId: string): string {
  return `shl-${networkId.slice(0, 11)}`;
}

interface EngineNetwork {
  Id: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/**
 * Makes the bridge for `network` exist on the engine, and removes it when the node's last task
 * on it went. Per network, making and removing run one after the other (a task that arrives
 * while the bridge is being removed gets it made again).
 */
export class DockerNetworks {
  /** Networks known to exist (made or found) since their last removal. */
  private readonly ready = new Set<string>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly docker: Dockerode) {}

  ensure(network: TaskNetwork): Promise<void> {
    if (this.ready.has(network.id)) return Promise.resolve();
    return this.serially(network.id, async () => {
      if (this.ready.has(network.id)) return;
      await this.make(network);
      this.ready.add(network.id);
    });
  }

  /** Removes the bridge of a swarm network unless a container still uses it. */
  release(networkId: string): Promise<void> {
    return this.serially(networkId, async () => {
      this.ready.delete(networkId);
      const list = (await this.docker.listNetworks({
        filters: { label: [`${NETWORK_ID_LABEL}=${networkId}`] },
      })) as { Id: string }[];
      for (const entry of list) {
        const info = (await this.docker.getNetwork(entry.Id).inspect()) as {
          Containers?: Record<string, unknown> | null;
        };
        if (Object.keys(info.Containers ?? {}).length > 0) continue;
        try {
          await this.docker.getNetwork(entry.Id).remove();
        } catch (error) {
          // Gone already, or a container joined meanwhile (another node on this engine).
          const status = statusOf(error);
          if (status !== 404 && status !== 403 && status !== 409) throw error;
        }
      }
    });
  }

  private serially(networkId: string, step: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(networkId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(step);
    this.queues.set(networkId, next);
    const forget = () => {
      if (this.queues.get(networkId) === next) this.queues.delete(networkId);
    };
    next.then(forget, forget);
    return next;
  }

  private async make(network: TaskNetwork): Promise<void> {
    const name = dockerNetworkName(network);
    const existing = await this.inspect(name);
    if (existing !== undefined) {
      const config = existing.IPAM?.Config?.[0];
      if (
        existing.Labels?.[NETWORK_ID_LABEL] === network.id &&
        config?.Subnet === network.subnet &&
        config.Gateway === network.gateway
      ) {
        return;
      }
      // Left by an earlier swarm (or made by hand): replace it if nothing uses it.
      try {
        await this.docker.getNetwork(existing.Id).remove();
      } catch (error) {
        throw new RuntimeError(
          `docker network ${name} exists and is not swarm network ${network.id}: remove it (${(error as Error).message})`,
          false,
        );
      }
    }
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: network.internal === true,
        IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
        Options: { 'com.docker.network.bridge.name': bridgeNameOf(network.id) },
        Labels: { [NETWORK_ID_LABEL]: network.id },
      });
    } catch (error) {
      // Another node sharing this engine made it meanwhile.
      if (statusOf(error) === 409 && (await this.inspect(name)) !== undefined) return;
      throw new RuntimeError(
        `creating the bridge of network ${network.name}: ${(error as Error).message}`,
      );
    }
  }

  /** Addresses the engine's containers hold on the swarm network (none if it has no bridge). */
  async addresses(networkId: string): Promise<Set<string>> {
    const out = new Set<string>();
    const list = (await this.docker.listNetworks({
      filters: { label: [`${NETWORK_ID_LABEL}=${networkId}`] },
    })) as { Id: string }[];
    for (const entry of list) {
      const info = (await this.docker.getNetwork(entry.Id).inspect()) as {
        Containers?: Record<string, { IPv4Address?: string }> | null;
      };
      for (const container of Object.values(info.Containers ?? {})) {
        if (container.IPv4Address) out.add(container.IPv4Address.split('/')[0]!);
      }
    }
    return out;
  }

  private async inspect(name: string): Promise<EngineNetwork | undefined> {
    try {
      return (await this.docker.getNetwork(name).inspect()) as EngineNetwork;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new RuntimeError(`inspecting docker network ${name}: ${(error as Error).message}`);
    }
  }
}
