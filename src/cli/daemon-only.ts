// `shoal daemon` alone: the program every node keeps running registers just its own command,
// so none of the client commands (nor compose and its YAML parser) sit in its memory.
import { registerDaemon } from './commands/daemon.ts';
import { createProgram, runProgram } from './program.ts';

export async function runDaemonOnly(version: string): Promise<void> {
  const program = createProgram(version);
  registerDaemon(program, version);
  await runProgram(program);
}
