// Three `shoal raft-kv` members as separate processes (src/raftkv/member-processes.ts),
// adapted to the benchmark's RaftCluster interface. Only the leader accepts writes; others
// answer NotLeaderError naming the leader, which the writers here follow.
import {
  FAST_RECONNECT,
  LeaderWriter,
  MemberProcesses,
} from '../../src/raftkv/member-processes.ts';
import { KvClient, NotLeaderError } from '../../src/rpc/index.ts';
import { describeError } from '../../src/testkit/index.ts';
import type { Attempt, Prober, RaftCluster } from './cluster.ts';
import type { Writer } from './load.ts';

// The timing etcd is started with (--heartbeat-interval 100 --election-timeout 1000): pinned
// here rather than left to the CLI's defaults, which may change.
const TICK_MS = 100;
const ELECTION_TICKS = 10;

export class ShoalCluster extends MemberProcesses implements RaftCluster {
  readonly name = 'shoal';

  /** `ports`: a peer and a client port per member; `cli`: the built dist/shoal.mjs. */
  constructor(root: string, ports: number[], cli: string) {
    super({
      root,
      ports,
      shoal: [process.execPath, cli],
      tickMs: TICK_MS,
      electionTicks: ELECTION_TICKS,
    });
  }

  async writer(): Promise<Writer> {
    return new LeaderWriter(this.member(await this.leader(10_000)).client);
  }

  async prober(members: number[], attemptTimeoutMs: number): Promise<Prober> {
    const clients = new Map<number, KvClient>();
    for (const i of members) {
      const client = new KvClient(this.member(i).client, {
        timeoutMs: attemptTimeoutMs,
        channelOptions: FAST_RECONNECT,
      });
      clients.set(i, client);
      await client.status(); // connects the channel, so the failover loop pays no handshake
    }
    const indexOf = (err: NotLeaderError) => {
      const byAddress = this.members.findIndex((m) => m.client === err.leaderAddress);
      if (byAddress >= 0) return byAddress;
      return err.leaderId > 0 && err.leaderId <= this.size ? err.leaderId - 1 : undefined;
    };
    return {
      attempt: async (member, key, value): Promise<Attempt> => {
        try {
          await clients.get(member)!.put(key, value);
          return { ok: true };
        } catch (err) {
          if (err instanceof NotLeaderError) {
            return { ok: false, error: 'NotLeaderError', redirect: indexOf(err) };
          }
          return { ok: false, error: describeError(err) };
        }
      },
      close: () => {
        for (const client of clients.values()) client.close();
      },
    };
  }
}
