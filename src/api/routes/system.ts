// /info: Docker's SystemInfo, with the Swarm section `docker info` prints.
import * as os from 'node:os';
import { clusterObject, managerAddresses } from '../../manager/index.ts';
import { json, type Router } from '../router.ts';
import type { HostInfo, SwarmControl } from './control.ts';
import { swarmView } from './swarm.ts';

const ARCHITECTURES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l' };

function swarmSection(control: SwarmControl) {
  const identity = control.identity;
  const cluster = control.cluster;
  const base = {
    NodeID: identity?.nodeId ?? '',
    NodeAddr: identity ? identity.advertiseAddr.replace(/:\d+$/, '') : '',
    LocalNodeState: control.state,
    ControlAvailable: cluster !== null,
    Error: '',
    RemoteManagers: null as { NodeID: string; Addr: string }[] | null,
  };
  if (!cluster) {
    if (identity) {
      base.RemoteManagers = identity.managers.map((addr) => ({ NodeID: '', Addr: addr }));
    }
    return base;
  }
  const store = cluster.store;
  const managers = managerAddresses(store);
  const swarm = clusterObject(store);
  return {
    ...base,
    RemoteManagers: managers.map((m) => ({ NodeID: m.nodeId, Addr: m.addr })),
    Nodes: store.count('nodes'),
    Managers: managers.length,
    ...(swarm ? { Cluster: swarmView(swarm) } : {}),
  };
}

/** Docker's warning for the one manager count that tolerates no failure yet looks redundant. */
export const TWO_MANAGERS_WARNING =
  'WARNING: Running Swarm in a two-manager configuration. This configuration provides no fault tolerance, and poses a high risk to lose control over the cluster. Add a third manager (shoal node promote, or shoal swarm join-token manager) so that one manager can fail.';

function warnings(control: SwarmControl): string[] {
  const cluster = control.cluster;
  if (!cluster) return [];
  return managerAddresses(cluster.store).length === 2 ? [TWO_MANAGERS_WARNING] : [];
}

export function addSystemRoutes(router: Router, control: SwarmControl, host: HostInfo): void {
  router.get('/info', () =>
    json(200, {
      ID: control.identity?.nodeId ?? '',
      Containers: 0,
      ContainersRunning: 0,
      ContainersPaused: 0,
      ContainersStopped: 0,
      Images: 0,
      Driver: '',
      DockerRootDir: host.dataDir,
      Name: host.name,
      ServerVersion: host.version,
      OperatingSystem: `${os.type()} ${os.release()}`,
      OSType: 'linux',
      Architecture: ARCHITECTURES[os.arch()] ?? os.arch(),
      NCPU: os.availableParallelism(),
      MemTotal: os.totalmem(),
      KernelVersion: os.release(),
      Labels: [],
      ExperimentalBuild: false,
      Warnings: warnings(control),
      Swarm: swarmSection(control),
    }),
  );
}
