// The whole `shoal` command line: every subcommand, registered from its own module.
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
import { createProgram, runProgram } from './program.ts';
import { registerRaftKv } from './raft-kv.ts';
import { TemplateError } from './template/index.ts';

export async function runEveryCommand(version: string): Promise<void> {
  const program = createProgram(version);
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
  await runProgram(program, (error) =>
    error instanceof TemplateError
      ? { message: `template parsing error: ${error.message}`, exitCode: 64 }
      : undefined,
  );
}
