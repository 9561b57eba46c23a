// `shoal raft-kv`: one member of a replicated key-value store, for the Raft demo, the
// real-process tests and the benchmark against etcd.
import type { Command } from 'commander';
import { parseMembers } from '../raftkv/members.ts';

interface RaftKvFlags {
  id: string;
  dataDir: string;
  members: string;
  tickMs: string;
  electionTicks: string;
}

export function registerRaftKv(program: Command): void {
  program
    .command('raft-kv')
    .description('Run one member of a replicated key-value store (Raft demo and benchmarks)')
    .requiredOption('--id <n>', 'this member id (a positive integer)')
    .requiredOption('--data-dir <dir>', 'where the write-ahead log and snapshots live')
    .requiredOption(
      '--members <list>',
      'every member as ID=PEER_HOST:PORT/CLIENT_HOST:PORT, comma separated',
    )
    .option('--tick-ms <ms>', 'length of one Raft tick', '100')
    .option('--election-ticks <n>', 'election timeout in ticks (randomized up to twice)', '10')
    .action(async (flags: RaftKvFlags) => {
      const { RaftKvNode } = await import('../raftkv/node.ts');
      const node = new RaftKvNode({
        id: Number(flags.id),
        dataDir: flags.dataDir,
        members: parseMembers(flags.members),
        tickMs: Number(flags.tickMs),
        electionTicks: Number(flags.electionTicks),
        log: (line) => console.log(`${new Date().toISOString()} ${line}`),
        onFatal: () => process.exit(1),
      });
      await node.start();
      const stop = () => {
        void node.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
