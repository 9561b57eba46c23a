// What the routes need from the daemon: the node's membership (SwarmNode satisfies this).
import type { ClusterState } from '../../manager/index.ts';
import type { LogSource, LogsQuery } from '../../manager/logs/index.ts';
import type { ClusterSpec, NodeAvailability } from '../../store/index.ts';

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'locked' | 'error';

export interface SwarmControl {
  readonly state: LocalNodeState;
  readonly identity: {
    nodeId: string;
    clusterId: string;
    role: 'manager' | 'worker';
    advertiseAddr: string;
    managers: string[];
  } | null;
  /** The replicated state when this node is an unlocked manager. */
  readonly cluster: ClusterState | null;
  init(request: {
    listenAddr: string;
    advertiseAddr: string;
    availability: NodeAvailability;
    autolock: boolean;
    spec: Partial<ClusterSpec>;
    forceNewCluster?: boolean;
  }): Promise<{ nodeId: string; unlockKey: string | null }>;
  join(request: {
    remoteAddrs: string[];
    token: string;
    listenAddr: string;
    advertiseAddr: string;
    availability: NodeAvailability;
  }): Promise<void>;
  leave(force: boolean): Promise<void>;
  /** Promotion or demotion: changes the Raft membership, so it runs on the leader. */
  changeNodeRole(nodeId: string, role: 'manager' | 'worker', version: number): Promise<void>;
  unlock(key: string): Promise<void>;
  /** Logs of tasks on every node, brokered by the leader. Throws when not a manager. */
  openLogs(query: LogsQuery): LogSource;
}

/** Facts about this machine and daemon for /info and /version. */
export interface HostInfo {
  name: string;
  version: string;
  dataDir: string;
  /** Object IDs (services...), as swarmkit makes them. */
  newId: () => string;
}
