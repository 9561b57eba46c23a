// A raft-kv cluster of real `shoal raft-kv` processes on loopback, for the demo, the
// real-process tests and the benchmark: start, find the leader, SIGKILL, restart, stop.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KvClient, type KvStatus, NotLeaderError } from '../rpc/index.ts';
import { hasExited, killHard, spawnLogged, tail, waitFor } from '../testkit/index.ts';

// grpc-js backs off up to 120 s between reconnects by default; a member that was killed and
// restarted must be reachable again within a poll or two.
export const FAST_RECONNECT = {
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 500,
};

export interface MemberProcess {
  id: number;
  peer: string;
  client: string;
  dataDir: string;
  log: string;
  child: ChildProcess | null;
}

export interface MemberProcessesOptions {
  /** Data dirs and logs go below it. */
  root: string;
  /** A peer and a client port per member. */
  ports: number[];
  /** The command that starts `shoal`: e.g. [process.execPath, 'dist/shoal.mjs']. */
  shoal: string[];
  tickMs?: number;
  electionTicks?: number;
}

export class MemberProcesses {
  readonly size: number;
  protected readonly members: MemberProcess[];
  private readonly statusClients: KvClient[];

  constructor(private readonly options: MemberProcessesOptions) {
    const { root, ports } = options;
    this.size = ports.length / 2;
    this.members = Array.from({ length: this.size }, (_, i) => ({
      id: i + 1,
      peer: `127.0.0.1:${ports[2 * i]}`,
      client: `127.0.0.1:${ports[2 * i + 1]}`,
      dataDir: join(root, `member-${i + 1}`),
      log: join(root, `member-${i + 1}.log`),
      child: null,
    }));
    this.statusClients = this.members.map(
      (m) => new KvClient(m.client, { timeoutMs: 500, channelOptions: FAST_RECONNECT }),
    );
  }

  member(index: number): MemberProcess {
    return this.members[index]!;
  }

  async start(timeoutMs: number): Promise<void> {
    for (let i = 0; i < this.size; i++) this.spawn(i);
    await this.leader(timeoutMs);
  }

  /** Index (0-based) of the current leader, waiting for one to be elected. */
  leader(timeoutMs: number): Promise<number> {
    return waitFor('a leader', timeoutMs, () => this.currentLeader());
  }

  /** SIGKILLs the member now; resolves once the process has exited. */
  async kill(member: number): Promise<void> {
    const m = this.members[member]!;
    const child = m.child;
    // Forgotten at once: a member killed on purpose is down, not failed.
    m.child = null;
    if (child) await killHard(child);
  }

  /** Starts the member again on its data dir; resolves once it has caught up with the leader. */
  async restart(member: number, timeoutMs: number): Promise<void> {
    this.spawn(member);
    await waitFor(`member ${member + 1} to catch up`, timeoutMs, async () => {
      const leaderIndex = await this.currentLeader();
      if (leaderIndex === undefined) return undefined;
      const [own, lead] = await Promise.all([this.status(member), this.status(leaderIndex)]);
      if (!own || !lead || own.leader === 0) return undefined;
      return own.applied >= lead.commit ? true : undefined;
    });
  }

  async stop(): Promise<void> {
    for (const client of this.statusClients) client.close();
    await Promise.all(this.members.map((m) => (m.child ? killHard(m.child) : undefined)));
  }

  logFiles(): string[] {
    return this.members.map((m) => m.log);
  }

  /** The member's status, or undefined if it does not answer; throws if its process died. */
  async status(i: number): Promise<KvStatus | undefined> {
    const m = this.members[i]!;
    if (m.child && hasExited(m.child)) {
      throw new Error(
        `member ${m.id} exited (code ${m.child.exitCode}, signal ${m.child.signalCode}); log tail:\n${tail(m.log)}`,
      );
    }
    try {
      return await this.statusClients[i]!.status();
    } catch {
      return undefined;
    }
  }

  /** Index of the member that says it leads (undefined if none does), in one poll. */
  async currentLeader(): Promise<number | undefined> {
    const statuses = await Promise.all(this.members.map((_, i) => this.status(i)));
    let best: number | undefined;
    statuses.forEach((s, i) => {
      if (s?.role !== 'leader') return;
      // Two members may both say leader for a moment (the old one not yet deposed): the higher
      // term is the real one.
      if (best === undefined || s.term > statuses[best]!.term) best = i;
    });
    return best;
  }

  private spawn(i: number): void {
    const m = this.members[i]!;
    mkdirSync(m.dataDir, { recursive: true });
    const members = this.members.map((x) => `${x.id}=${x.peer}/${x.client}`).join(',');
    const [command, ...prefix] = this.options.shoal;
    m.child = spawnLogged(
      command!,
      [
        ...prefix,
        'raft-kv',
        '--id',
        String(m.id),
        '--data-dir',
        m.dataDir,
        '--members',
        members,
        '--tick-ms',
        String(this.options.tickMs ?? 100),
        '--election-ticks',
        String(this.options.electionTicks ?? 10),
      ],
      m.log,
    );
  }
}

/** Sends every write to the leader, following NotLeader redirects when leadership moves. */
export class LeaderWriter {
  private readonly clients = new Map<string, KvClient>();
  private target: string;

  constructor(
    leaderAddress: string,
    private readonly timeoutMs = 5000,
  ) {
    this.target = leaderAddress;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    for (let redirects = 0; ; redirects++) {
      try {
        await this.client(this.target).put(key, value);
        return;
      } catch (err) {
        if (!(err instanceof NotLeaderError) || !err.leaderAddress || redirects >= 3) throw err;
        this.target = err.leaderAddress;
      }
    }
  }

  /** Points the writer at another member (e.g. after the current one died). */
  retarget(address: string): void {
    this.target = address;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }

  private client(address: string): KvClient {
    let client = this.clients.get(address);
    if (!client) {
      client = new KvClient(address, {
        timeoutMs: this.timeoutMs,
        channelOptions: FAST_RECONNECT,
      });
      this.clients.set(address, client);
    }
    return client;
  }
}
