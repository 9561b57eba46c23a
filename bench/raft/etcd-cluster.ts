// Three etcd members (Debian's etcd-server, etcd 3.4) on loopback, with etcd's default fsync
// behaviour and the same Raft timing as Shoal: 100 ms heartbeats, 1000 ms election timeout.
// Driven with the etcd3 client, one client per member, with its retry and circuit-breaker
// policies switched off: the harness measures etcd, and does its own retrying in failover.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { noop } from 'cockatiel';
import { Etcd3, type IStatusResponse } from 'etcd3';
import {
  describeError,
  hasExited,
  killHard,
  spawnLogged,
  tail,
  waitFor,
} from '../../src/testkit/index.ts';
import type { Attempt, Prober, RaftCluster } from './cluster.ts';
import type { Writer } from './load.ts';

// See shoal-cluster.ts: reconnect quickly to a restarted member.
const GRPC_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 500,
};

/** An etcd3 client bound to one member, without retries or circuit breaking. */
function clientFor(url: string): Etcd3 {
  return new Etcd3({
    hosts: [url],
    dialTimeout: 2000,
    grpcOptions: GRPC_OPTIONS,
    faultHandling: { host: () => noop, global: noop },
  });
}

interface Member {
  name: string;
  peerUrl: string;
  clientUrl: string;
  dataDir: string;
  log: string;
  child: ChildProcess | null;
}

export class EtcdCluster implements RaftCluster {
  readonly name = 'etcd';
  readonly size: number;
  private readonly members: Member[];
  private readonly statusClients: Etcd3[];
  private readonly token = `shoal-bench-${randomBytes(4).toString('hex')}`;

  /** `ports`: a peer and a client port per member. */
  constructor(
    root: string,
    ports: number[],
    private readonly binary = 'etcd',
  ) {
    this.size = ports.length / 2;
    this.members = Array.from({ length: this.size }, (_, i) => ({
      name: `m${i + 1}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i]}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
      dataDir: join(root, `member-${i + 1}`),
      log: join(root, `member-${i + 1}.log`),
      child: null,
    }));
    this.statusClients = this.members.map((m) => clientFor(m.clientUrl));
  }

  async start(timeoutMs: number): Promise<void> {
    for (let i = 0; i < this.size; i++) this.spawn(i);
    await this.leader(timeoutMs);
  }

  leader(timeoutMs: number): Promise<number> {
    return waitFor('an etcd leader', timeoutMs, () => this.currentLeader());
  }

  /**
   * Writes go to the leader's endpoint: a follower would forward them, but that adds a hop
   * Shoal's clients do not pay (they follow the redirect once and stay on the leader).
   */
  async writer(): Promise<Writer> {
    const client = clientFor(this.members[await this.leader(10_000)]!.clientUrl);
    return {
      put: async (key, value) => {
        await client
          .put(key)
          .value(value)
          .options({ deadline: Date.now() + 5000 })
          .exec();
      },
      close: () => client.close(),
    };
  }

  async prober(members: number[], attemptTimeoutMs: number): Promise<Prober> {
    const clients = new Map<number, Etcd3>();
    for (const i of members) {
      const client = clientFor(this.members[i]!.clientUrl);
      clients.set(i, client);
      // Connects the channel, so the failover loop pays no handshake.
      await client.maintenance.status({ deadline: Date.now() + attemptTimeoutMs * 4 });
    }
    return {
      // No redirect: any etcd member accepts a write and forwards it to the leader.
      attempt: async (member, key, value): Promise<Attempt> => {
        try {
          await clients
            .get(member)!
            .put(key)
            .value(value)
            .options({ deadline: Date.now() + attemptTimeoutMs })
            .exec();
          return { ok: true };
        } catch (err) {
          return { ok: false, error: describeError(err) };
        }
      },
      close: () => {
        for (const client of clients.values()) client.close();
      },
    };
  }

  kill(member: number): Promise<void> {
    const child = this.members[member]!.child;
    return child ? killHard(child) : Promise.resolve();
  }

  async restart(member: number, timeoutMs: number): Promise<void> {
    this.spawn(member);
    await waitFor(`etcd member ${member + 1} to catch up`, timeoutMs, async () => {
      const leaderIndex = await this.currentLeader();
      if (leaderIndex === undefined) return undefined;
      const [own, lead] = await Promise.all([this.status(member), this.status(leaderIndex)]);
      if (!own || !lead || own.leader === '0') return undefined;
      return BigInt(own.raftAppliedIndex) >= BigInt(lead.raftIndex) ? true : undefined;
    });
  }

  async stop(): Promise<void> {
    for (const client of this.statusClients) client.close();
    await Promise.all(this.members.map((m) => (m.child ? killHard(m.child) : undefined)));
  }

  logFiles(): string[] {
    return this.members.map((m) => m.log);
  }

  private spawn(i: number): void {
    const m = this.members[i]!;
    const cluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    // etcd refuses to start on arm64 (e.g. a Raspberry Pi) unless told it is on purpose.
    const env =
      process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env;
    // On a restart the data dir already holds the membership; the --initial-* flags are ignored.
    m.child = spawnLogged(
      this.binary,
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--initial-cluster',
        cluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        this.token,
        '--heartbeat-interval',
        '100',
        '--election-timeout',
        '1000',
        '--logger',
        'zap',
      ],
      m.log,
      env,
    );
  }

  /** Index of the member that says it leads (undefined if none does), in one poll. */
  private async currentLeader(): Promise<number | undefined> {
    const statuses = await Promise.all(this.members.map((_, i) => this.status(i)));
    let best: number | undefined;
    statuses.forEach((s, i) => {
      if (!s || s.leader === '0' || s.leader !== s.header.member_id) return;
      if (best === undefined || BigInt(s.raftTerm) > BigInt(statuses[best]!.raftTerm)) best = i;
    });
    return best;
  }

  /** The member's status, or undefined if it does not answer; throws if its process died. */
  private async status(i: number): Promise<IStatusResponse | undefined> {
    const m = this.members[i]!;
    if (m.child && hasExited(m.child)) {
      throw new Error(
        `etcd member ${m.name} exited (code ${m.child.exitCode}, signal ${m.child.signalCode}); log tail:\n${tail(m.log)}`,
      );
    }
    try {
      return await this.statusClients[i]!.maintenance.status({ deadline: Date.now() + 500 });
    } catch {
      return undefined;
    }
  }
}
