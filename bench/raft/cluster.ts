// What the benchmark needs from a 3-member cluster, so that one harness drives Shoal and etcd
// the same way (bench/raft/shoal-cluster.ts, bench/raft/etcd-cluster.ts).
import type { Writer } from './load.ts';

/** The outcome of one write attempt during failover. */
export type Attempt =
  | { ok: true }
  /** `redirect`: the member index the answering member named as leader, if it named one. */
  | { ok: false; error: string; redirect?: number };

/** Clients to some members, connected before the leader is killed, for the failover loop. */
export interface Prober {
  attempt(member: number, key: string, value: Buffer): Promise<Attempt>;
  close(): void;
}

export interface RaftCluster {
  readonly name: 'shoal' | 'etcd';
  readonly size: number;
  /** Starts every member and resolves once one is the leader. */
  start(timeoutMs: number): Promise<void>;
  /** Index (0-based) of the current leader, waiting for one to be elected. */
  leader(timeoutMs: number): Promise<number>;
  /** A closed-loop writer that sends every write to the leader. */
  writer(): Promise<Writer>;
  /** Clients to `members`, each call bounded by `attemptTimeoutMs`, already connected. */
  prober(members: number[], attemptTimeoutMs: number): Promise<Prober>;
  /** SIGKILLs the member now; the promise resolves once the process has exited. */
  kill(member: number): Promise<void>;
  /** Starts the member again on its data dir; resolves once it has caught up with the leader. */
  restart(member: number, timeoutMs: number): Promise<void>;
  /** Kills every member (the data dirs are removed by the caller). */
  stop(): Promise<void>;
  /** Each member's log file, for error reports. */
  logFiles(): string[];
}
