import type { Command } from 'commander';

export function registerRaftKv(program: Command): void {
  program
    .command('raft-kv')
    .description('Run one member of a replicated key-value store (Raft demo and benchmarks)')
    .action(() => {
      console.error('raft-kv: wiring lands with src/raftkv');
      process.exitCode = 1;
    });
}
