// Service discovery on a node: for each swarm network that has a local bridge (its containers
// run here), the embedded DNS server on the bridge's gateway, the services' virtual IPs, and
// the addresses of the network's tasks on other nodes. Each of those addresses is added to the
// bridge (a /32) and served by the mesh on the service's ports: a virtual IP balances over
// every task of its service, another node's task address goes to that task, both through the
// tunnel when the task is remote. So containers reach `web`, `tasks.web` and any task address
// on any node, on kernels without VXLAN or IPVS, encrypted between nodes.
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { DnsServer } from './dns/server.ts';
import { type IngressRouter, TcpIngress } from './ingress-tcp.ts';
import { UdpIngress } from './ingress-udp.ts';
import type { NodeMesh } from './mesh.ts';
import type { MeshBackend, MeshNetwork, MeshService, MeshTable } from './table.ts';

export interface ServicePlaneOptions {
  nodeId: string;
  mesh: NodeMesh;
  /** The Linux bridge of a network on this node. */
  bridgeOf: (networkId: string) => string;
  /** Addresses containers of this node's engine hold on the network (never claimed). */
  occupied: (networkId: string) => Promise<Set<string>>;
  /** Runs `ip ARGS` (injected for tests); rejects with its error output. */
  ip?: (args: string[]) => Promise<void>;
  /** Whether the bridge exists here, with an address (default: the process's interfaces). */
  hasBridge?: (bridge: string) => boolean;
  log: (line: string) => void;
}

type Listener = TcpIngress | UdpIngress;

interface Served {
  /** Listeners by "protocol/port". */
  listeners: Map<string, Listener>;
  router: IngressRouter;
}

interface Attached {
  network: MeshNetwork;
  bridge: string;
  dns: DnsServer | null;
  /** Address → what serves it. */
  served: Map<string, Served>;
  /** name → addresses, for the DNS server. */
  names: Map<string, string[]>;
}

function runIp(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 5_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message));
      else resolve();
    });
  });
}

export class ServicePlane {
  private readonly attached = new Map<string, Attached>();
  private table: MeshTable = { services: [] };
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly ip: (args: string[]) => Promise<void>;
  private readonly hasBridge: (bridge: string) => boolean;

  constructor(private readonly options: ServicePlaneOptions) {
    this.ip = options.ip ?? runIp;
    // Not /sys/class/net: sysfs shows the namespace that mounted it, not this process's.
    this.hasBridge = options.hasBridge ?? ((bridge) => networkInterfaces()[bridge] !== undefined);
  }

  /** A new table: serve every network whose bridge exists here, as the table says. */
  setTable(table: MeshTable): Promise<void> {
    this.table = table;
    return this.sync();
  }

  /**
   * A container is about to start on these networks (their bridges exist now): make sure DNS
   * and the addresses are served before it runs.
   */
  attach(networkIds: string[]): Promise<void> {
    if (networkIds.every((id) => this.attached.has(id))) return this.syncing;
    return this.sync(networkIds);
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.enqueue(async () => {
      for (const attached of this.attached.values()) await this.release(attached);
      this.attached.clear();
    });
  }

  private sync(extra: string[] = []): Promise<void> {
    return this.enqueue(async () => {
      const networks = new Map((this.table.networks ?? []).map((n) => [n.id, n]));
      for (const [id, attached] of this.attached) {
        if (networks.has(id) && this.hasBridge(attached.bridge)) continue;
        await this.release(attached);
        this.attached.delete(id);
      }
      for (const network of networks.values()) {
        const bridge = this.options.bridgeOf(network.id);
        if (!this.hasBridge(bridge) && !extra.includes(network.id)) continue;
        let attached = this.attached.get(network.id);
        if (attached === undefined) {
          attached = { network, bridge, dns: null, served: new Map(), names: new Map() };
          this.attached.set(network.id, attached);
        }
        attached.network = network;
        await this.serve(attached);
      }
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.syncing.then(async () => {
      if (this.stopped && this.attached.size === 0) return;
      try {
        await step();
      } catch (error) {
        this.options.log(`mesh: service networks: ${(error as Error).message}`);
      }
    });
    this.syncing = next;
    return next;
  }

  /** The services of the table on this network. */
  private servicesOn(networkId: string): MeshService[] {
    return this.table.services.filter((service) => service.names?.[networkId] !== undefined);
  }

  private async serve(attached: Attached): Promise<void> {
    const id = attached.network.id;
    const services = this.servicesOn(id);
    // DNS: names and tasks.names of the services on this network.
    const names = new Map<string, string[]>();
    for (const service of services) {
      const taskIps = service.backends
        .map((backend) => backend.ips?.[id])
        .filter((ip): ip is string => ip !== undefined)
        .sort();
      const vip = service.vips?.[id];
      const answer = service.mode === 'dnsrr' || vip === undefined ? taskIps : [vip];
      for (const name of service.names?.[id] ?? []) {
        names.set(name, answer);
        names.set(`tasks.${name}`, taskIps);
      }
    }
    attached.names = names;
    if (attached.dns === null) {
      const dns = new DnsServer({
        host: attached.network.gateway,
        lookup: (name) => attached.names.get(name) ?? null,
        log: this.options.log,
      });
      try {
        await dns.start();
        attached.dns = dns;
      } catch (error) {
        this.options.log(
          `mesh: no DNS on network ${attached.network.name} (${attached.network.gateway}:53): ${(error as Error).message}`,
        );
      }
    }
    // Addresses: the virtual IPs, and other nodes' tasks.
    const occupied = await this.options.occupied(id);
    const wanted = new Map<string, { service: MeshService; backend: MeshBackend | null }>();
    for (const service of services) {
      const vip = service.vips?.[id];
      if (vip !== undefined && service.mode !== 'dnsrr')
        wanted.set(vip, { service, backend: null });
      for (const backend of service.backends) {
        const ip = backend.ips?.[id];
        if (ip === undefined || backend.node === this.options.nodeId || occupied.has(ip)) continue;
        wanted.set(ip, { service, backend });
      }
    }
    for (const [address, served] of attached.served) {
      if (wanted.has(address)) continue;
      for (const listener of served.listeners.values()) listener.close();
      attached.served.delete(address);
      await this.ip(['addr', 'del', `${address}/32`, 'dev', attached.bridge]).catch(() => {});
    }
    for (const [address, { service, backend }] of wanted) {
      let served = attached.served.get(address);
      if (served === undefined) {
        try {
          await this.ip(['addr', 'add', `${address}/32`, 'dev', attached.bridge]);
        } catch (error) {
          if (!/exists/i.test((error as Error).message)) {
            this.options.log(`mesh: cannot add ${address} to ${attached.bridge}: ${error}`);
            continue;
          }
        }
        served = { listeners: new Map(), router: this.routerFor(service.id, backend) };
        attached.served.set(address, served);
      }
      served.router = this.routerFor(service.id, backend);
      await this.listen(address, served, service);
    }
  }

  /** Listeners on the service's ports at `address`, opened and closed as they change. */
  private async listen(address: string, served: Served, service: MeshService): Promise<void> {
    const keys = new Set<string>();
    for (const target of service.targets ?? []) {
      const key = `${target.protocol}/${target.port}`;
      keys.add(key);
      if (served.listeners.has(key)) continue;
      const router = served.router;
      const proxy: IngressRouter = {
        route: () => ({
          service: service.id,
          port: { protocol: target.protocol, published: target.port, target: target.port },
        }),
        pick: (s, p, skip) => router.pick(s, p, skip),
        connect: (b, p) => router.connect(b, p),
        connectUdp: (b, p) => router.connectUdp(b, p),
        log: (line) => this.options.log(line),
      };
      const listener =
        target.protocol === 'tcp'
          ? new TcpIngress(address, target.port, proxy)
          : new UdpIngress(address, target.port, proxy);
      try {
        await listener.listen();
        served.listeners.set(key, listener);
      } catch (error) {
        this.options.log(`mesh: cannot serve ${address}:${key}: ${(error as Error).message}`);
      }
    }
    for (const [key, listener] of served.listeners) {
      if (keys.has(key)) continue;
      listener.close();
      served.listeners.delete(key);
    }
  }

  /** A virtual IP picks among all the service's tasks; a task address only that task. */
  private routerFor(serviceId: string, backend: MeshBackend | null): IngressRouter {
    const mesh = this.options.mesh;
    return {
      route: () => null,
      pick: (service, port, skip) =>
        backend === null
          ? mesh.pick(service === '' ? serviceId : service, port, skip)
          : skip.has(backend.task)
            ? undefined
            : backend,
      connect: (b, p) => mesh.connect(b, p),
      connectUdp: (b, p) => mesh.connectUdp(b, p),
      log: (line) => this.options.log(line),
    };
  }

  private async release(attached: Attached): Promise<void> {
    attached.dns?.stop();
    attached.dns = null;
    for (const [address, served] of attached.served) {
      for (const listener of served.listeners.values()) listener.close();
      await this.ip(['addr', 'del', `${address}/32`, 'dev', attached.bridge]).catch(() => {});
    }
    attached.served.clear();
  }
}
