// The `shoal` command line. `shoal daemon`, which stays in memory on every node, loads only
// the daemon's command; any other command line loads the whole CLI (every-command.ts).
import { subcommandOf } from './program.ts';

declare const SHOAL_VERSION: string;
const version = typeof SHOAL_VERSION === 'string' ? SHOAL_VERSION : '0.0.0-dev';

// A reader that goes away (`shoal node ls | head -1`) ends the command as SIGPIPE ends docker's:
// quietly, with the shell's code for that signal, instead of an unhandled EPIPE error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
}

if (subcommandOf(process.argv.slice(2)) === 'daemon') {
  const { runDaemonOnly } = await import('./daemon-only.ts');
  await runDaemonOnly(version);
} else {
  const { runEveryCommand } = await import('./every-command.ts');
  await runEveryCommand(version);
}
