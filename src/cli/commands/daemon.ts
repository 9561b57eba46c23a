// `shoal daemon`: runs this node's daemon in the foreground.
import type { Command } from 'commander';
import { DEFAULT_SOCKET, socketPathOf } from '../connection.ts';

interface DaemonFlags {
  dataDir: string;
  host?: string;
  hostname?: string;
  docker: string;
}

export function registerDaemon(program: Command, version: string): void {
  program
    .command('daemon')
    .description('Run the Shoal daemon of this node (every node runs one)')
    .option('--data-dir <dir>', 'where the node keeps its state', '/var/lib/shoal')
    .option('-H, --host <socket>', `the API socket (default unix://${DEFAULT_SOCKET})`)
    .option('--hostname <name>', "the name this node reports (default: the machine's)")
    .option(
      '--docker <socket>',
      "the Docker Engine's socket tasks run on ('none': exec tasks only)",
      '/var/run/docker.sock',
    )
    .action(async (flags: DaemonFlags) => {
      const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
      // Loaded here so that client commands start without the daemon's code.
      const { Daemon } = await import('../../daemon/index.ts');
      const daemon = new Daemon({
        dataDir: flags.dataDir,
        socketPath: socketPathOf(flags.host ?? program.opts().host),
        ...(flags.hostname ? { hostname: flags.hostname } : {}),
        dockerSocket: flags.docker === 'none' ? null : flags.docker.replace(/^unix:\/\//, ''),
        version,
        log,
      });
      await daemon.start();
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log(`${signal}: shutting down`);
        void daemon.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
