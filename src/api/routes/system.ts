// /info: Docker's SystemInfo, with the Swarm section `docker info` prints. On a node with a
// Docker Engine, the container and image counts and the storage driver are the engine's (asked
// each time, within a short bound), as dockerd reports its own; the rest, Swarm included, is
// Shoal's.
import * as os from 'node:os';
import { clusterObject, managerAddresses } from '../../manager/index.ts';
import type { EngineProxy } from '../engine-proxy.ts';
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

/** How long /info waits for the engine's counts (`docker node ls` asks /info too). */
export const ENGINE_INFO_TIMEOUT_MS = 2000;

/** The engine's own facts that /info reports as dockerd would. */
export interface EngineFacts {
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][] | null;
}

const NO_ENGINE: EngineFacts = {
  Containers: 0,
  ContainersRunning: 0,
  ContainersPaused: 0,
  ContainersStopped: 0,
  Images: 0,
  Driver: '',
  DriverStatus: null,
};

function count(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
}

/** The facts of the engine's /info answer (anything malformed counts as none). */
export function engineFacts(info: unknown): EngineFacts {
  if (typeof info !== 'object' || info === null) return NO_ENGINE;
  const answer = info as Record<string, unknown>;
  const status = answer.DriverStatus;
  const pairs =
    Array.isArray(status) &&
    status.every(
      (pair) =>
        Array.isArray(pair) && pair.length === 2 && pair.every((v) => typeof v === 'string'),
    );
  return {
    Containers: count(answer.Containers),
    ContainersRunning: count(answer.ContainersRunning),
    ContainersPaused: count(answer.ContainersPaused),
    ContainersStopped: count(answer.ContainersStopped),
    Images: count(answer.Images),
    Driver: typeof answer.Driver === 'string' ? answer.Driver : '',
    DriverStatus: pairs ? (status as [string, string][]) : null,
  };
}

/** The engine's facts, and a warning when the node has an engine that did not answer. */
async function askEngine(
  engine: EngineProxy | undefined,
): Promise<{ facts: EngineFacts; warning?: string }> {
  if (engine === undefined || engine.socketPath === null) return { facts: NO_ENGINE };
  const answer = await engine.getJson('/info', ENGINE_INFO_TIMEOUT_MS);
  if (answer === null || answer.status !== 200) {
    return {
      facts: NO_ENGINE,
      warning: `WARNING: the Docker Engine on ${engine.socketPath} did not answer: container and image counts are missing`,
    };
  }
  return { facts: engineFacts(answer.body) };
}

export function addSystemRoutes(
  router: Router,
  control: SwarmControl,
  host: HostInfo,
  engine?: EngineProxy,
): void {
  router.get('/info', async () => {
    const { facts, warning } = await askEngine(engine);
    return json(200, {
      ID: control.identity?.nodeId ?? '',
      ...facts,
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
      Warnings: warning === undefined ? warnings(control) : [...warnings(control), warning],
      Swarm: swarmSection(control),
    });
  });
}
