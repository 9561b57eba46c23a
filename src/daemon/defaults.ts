// Cluster defaults, as Docker Swarm's (see shared/reference/swarm-facts.md) unless noted.
import type { ClusterSpec } from '../store/index.ts';

export const NANOSECONDS_PER_MILLISECOND = 1_000_000;
export const DEFAULT_CLUSTER_PORT = 2377;
/** Docker's is 5 s; 3 s lets a dead node be Down within 9 s (three missed heartbeats). */
export const DEFAULT_HEARTBEAT_PERIOD_MS = 3000;
export const DEFAULT_NODE_CERT_EXPIRY_MS = 2160 * 3600 * 1000;
export const MINIMUM_NODE_CERT_EXPIRY_MS = 3600 * 1000;
/**
 * Raft timing of the managers: a tick every 500 ms, elections after 2.5-5 s of silence (5 to 9
 * ticks, drawn at random). Every tick wakes every manager, idle or not, so ticks are as long as
 * the leader's heartbeat period allows; shorter election timeouts would make failover faster
 * and elections on a busy small board spurious.
 */
export const RAFT_TICK_MS = 500;
export const RAFT_ELECTION_TICKS = 5;
/** The leader's heartbeat every tick (500 ms): five per election timeout. */
export const RAFT_HEARTBEAT_TICKS = 1;

export function defaultClusterSpec(): ClusterSpec {
  return {
    Name: 'default',
    Labels: {},
    Orchestration: { TaskHistoryRetentionLimit: 5 },
    Raft: {
      SnapshotInterval: 10_000,
      KeepOldSnapshots: 0,
      LogEntriesForSlowFollowers: 500,
      ElectionTick: RAFT_ELECTION_TICKS,
      HeartbeatTick: RAFT_HEARTBEAT_TICKS,
    },
    Dispatcher: { HeartbeatPeriod: DEFAULT_HEARTBEAT_PERIOD_MS * NANOSECONDS_PER_MILLISECOND },
    CAConfig: { NodeCertExpiry: DEFAULT_NODE_CERT_EXPIRY_MS * NANOSECONDS_PER_MILLISECOND },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}
