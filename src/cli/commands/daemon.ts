// `shoal daemon`: runs this node's daemon in the foreground.
import type { Command } from 'commander';
import { DEFAULT_SOCKET, socketPathOf } from '../connection.ts';

interface DaemonFlags {
  dataDir: string;
  host?: string;
  hostname?: string;
  docker: string;
  ingressAddr?: string;
  tlsListen?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
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
    .option(
      '--ingress-addr <ip>',
      'the address published ports listen on (default: every address of the node)',
    )
    .option('--tls-listen <host:port>', 'also serve the API on TCP with TLS (e.g. 0.0.0.0:2376)')
    .option('--tls-ca <file>', "accept client certificates of this CA (default: the cluster's)")
    .option('--tls-cert <file>', 'TLS server certificate (default: issued by the cluster CA)')
    .option('--tls-key <file>', 'TLS server key (with --tls-cert)')
    .action(async (flags: DaemonFlags) => {
      const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
      // Loaded here so that client commands start without the daemon's code.
      const { Daemon } = await import('../../daemon/index.ts');
      const daemon = new Daemon({
        dataDir: flags.dataDir,
        socketPath: socketPathOf(flags.host ?? program.opts().host),
        ...(flags.hostname ? { hostname: flags.hostname } : {}),
        dockerSocket: flags.docker === 'none' ? null : flags.docker.replace(/^unix:\/\//, ''),
        ...(flags.ingressAddr ? { ingressHost: flags.ingressAddr } : {}),
        ...(flags.tlsListen
          ? {
              tls: {
                listen: flags.tlsListen,
                ...(flags.tlsCa ? { caFile: flags.tlsCa } : {}),
                ...(flags.tlsCert ? { certFile: flags.tlsCert } : {}),
                ...(flags.tlsKey ? { keyFile: flags.tlsKey } : {}),
              },
            }
          : {}),
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
