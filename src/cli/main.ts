// The `shoal` command line. Subcommands are registered from their own modules.
import { Command } from 'commander';
import { registerRaftKv } from './raft-kv.ts';

declare const SHOAL_VERSION: string;
const version = typeof SHOAL_VERSION === 'string' ? SHOAL_VERSION : '0.0.0-dev';

const program = new Command();
program
  .name('shoal')
  .description('An orchestrator for small clusters, driven like Docker Swarm mode')
  .version(`Shoal version ${version}`, '-v, --version', 'Print version information and quit')
  .helpOption('--help', 'Print usage')
  .showHelpAfterError();

registerRaftKv(program);

await program.parseAsync(process.argv);
