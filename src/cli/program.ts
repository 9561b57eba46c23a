// What every `shoal` program shares, the whole CLI and the daemon alike: the global options,
// which subcommand a command line asks for (so `shoal daemon` loads only the daemon's code),
// and how errors end the process, printed once as docker prints them, with docker's exit codes.
import { Command, CommanderError } from 'commander';
import { CliError } from './connection.ts';

/** Turns an error the caller knows into what to print and the exit code; undefined: not known. */
export type ErrorDescriber = (error: unknown) => { message: string; exitCode: number } | undefined;

/** The `shoal` command with its global options and no subcommand yet. */
export function createProgram(version: string): Command {
  return new Command()
    .name('shoal')
    .description('An orchestrator for small clusters, driven like Docker Swarm mode')
    .version(`Shoal version ${version}`, '-v, --version', 'Print version information and quit')
    .helpOption('--help', 'Print usage')
    .option('-H, --host <socket>', 'Daemon socket to connect to (or SHOAL_HOST)')
    .showHelpAfterError()
    .exitOverride();
}

/**
 * The subcommand `args` (process.argv without node and the script) names, past the global
 * options; undefined when anything else comes first (another option, `--`, nothing), which the
 * whole program then handles as it always did.
 */
export function subcommandOf(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-H' || arg === '--host') {
      index++; // its value
    } else if (arg.startsWith('--host=') || (arg.startsWith('-H') && arg.length > 2)) {
      // The value is attached.
    } else if (arg.startsWith('-')) {
      return undefined;
    } else {
      return arg;
    }
  }
  return undefined;
}

/** Runs `program` on process.argv and sets the exit code from how it ended. */
export async function runProgram(
  program: Command,
  describe: ErrorDescriber = () => undefined,
): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors exit 125 like docker's flag errors (commander has
      // printed its message already).
      process.exitCode = error.exitCode === 0 ? 0 : 125;
      return;
    }
    if (error instanceof CliError) {
      console.error(error.message);
      process.exitCode = error.exitCode;
      return;
    }
    const known = describe(error);
    if (known) {
      console.error(known.message);
      process.exitCode = known.exitCode;
      return;
    }
    console.error(`Error: ${(error as Error).message ?? String(error)}`);
    process.exitCode = 1;
  }
}
