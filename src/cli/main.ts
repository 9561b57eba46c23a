// The `shoal` command line. Subcommands are registered from their own modules; errors are
// printed once, as docker prints them, with docker's exit codes.
import { Command, CommanderError } from 'commander';
import { registerCa } from './commands/ca.ts';
import { registerConfig } from './commands/config.ts';
import { registerDaemon } from './commands/daemon.ts';
import { registerInfo } from './commands/info.ts';
import { registerNetwork } from './commands/network.ts';
import { registerNode } from './commands/node.ts';
import { registerSecret } from './commands/secret.ts';
import { registerService } from './commands/service/index.ts';
import { registerStack } from './commands/stack/index.ts';
import { registerSwarm } from './commands/swarm.ts';
import { CliError } from './connection.ts';
import { registerRaftKv } from './raft-kv.ts';
import { TemplateError } from './template/index.ts';

declare const SHOAL_VERSION: string;
const version = typeof SHOAL_VERSION === 'string' ? SHOAL_VERSION : '0.0.0-dev';

const program = new Command();
program
  .name('shoal')
  .description('An orchestrator for small clusters, driven like Docker Swarm mode')
  .version(`Shoal version ${version}`, '-v, --version', 'Print version information and quit')
  .helpOption('--help', 'Print usage')
  .option('-H, --host <socket>', 'Daemon socket to connect to (or SHOAL_HOST)')
  .showHelpAfterError()
  .exitOverride();

registerDaemon(program, version);
registerSwarm(program);
registerNode(program);
registerService(program);
registerNetwork(program);
registerStack(program);
registerSecret(program);
registerConfig(program);
registerInfo(program);
registerCa(program);
registerRaftKv(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors exit 125 like docker's flag errors... but commander
    // has printed its message already.
    process.exitCode = error.exitCode === 0 ? 0 : 125;
  } else if (error instanceof CliError) {
    console.error(error.message);
    process.exitCode = error.exitCode;
  } else if (error instanceof TemplateError) {
    console.error(`template parsing error: ${error.message}`);
    process.exitCode = 64;
  } else {
    console.error(`Error: ${(error as Error).message ?? String(error)}`);
    process.exitCode = 1;
  }
}
