// The `shoal` command line. `shoal daemon`, which stays in memory on every node, loads only
// the daemon's command; any other command line loads the whole CLI (every-command.ts).
import { subcommandOf } from './program.ts';

declare const SHOAL_VERSION: string;
const version = typeof SHOAL_VERSION === 'string' ? SHOAL_VERSION : '0.0.0-dev';

if (subcommandOf(process.argv.slice(2)) === 'daemon') {
  const { runDaemonOnly } = await import('./daemon-only.ts');
  await runDaemonOnly(version);
} else {
  const { runEveryCommand } = await import('./every-command.ts');
  await runEveryCommand(version);
}
