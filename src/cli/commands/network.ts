// `shoal network ...`: docker's network verbs for swarm networks. One difference from docker:
// the driver defaults to overlay, the only one Shoal's swarm networks have.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import {
  type CreateOptions,
  type NetworkIo,
  runNetworkCreate,
  runNetworkInspect,
  runNetworkList,
  runNetworkRemove,
} from './network-commands.ts';
import { withServiceDaemon } from './service/index.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

function host(command: Command): string | undefined {
  return command.optsWithGlobals().host;
}

/** Lines of standard input, read only when a prompt asks. */
function terminalIo(): NetworkIo & { close(): void } {
  let lines: AsyncIterator<string> | undefined;
  let reader: ReturnType<typeof createInterface> | undefined;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readLine: async () => {
      reader ??= createInterface({ input: process.stdin, terminal: false });
      lines ??= reader[Symbol.asyncIterator]();
      const next = await lines.next();
      return next.done ? undefined : next.value;
    },
    close: () => reader?.close(),
  };
}

async function withIo<T>(run: (io: NetworkIo) => Promise<T>): Promise<T> {
  const io = terminalIo();
  try {
    return await run(io);
  } finally {
    io.close();
  }
}

export function registerNetwork(program: Command): void {
  const network = program.command('network').description('Manage networks');

  network
    .command('create')
    .description('Create a network')
    .argument('<network>')
    .option('--attachable', 'Enable manual container attachment', false)
    .option(
      '--aux-address <address>',
      'Auxiliary IPv4 or IPv6 addresses used by Network driver',
      collect,
      [],
    )
    .option('--config-from <network>', 'The network from which to copy the configuration', '')
    .option('--config-only', 'Create a configuration only network', false)
    .option('-d, --driver <driver>', 'Driver to manage the Network', 'overlay')
    .option('--gateway <address>', 'IPv4 or IPv6 Gateway for the master subnet', collect, [])
    .option('--ingress', 'Create swarm routing-mesh network', false)
    .option('--internal', 'Restrict external access to the network', false)
    .option('--ip-range <range>', 'Allocate container ip from a sub-range', collect, [])
    .option('--ipam-driver <driver>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <option>', 'Set IPAM driver specific options', collect, [])
    .option('--ipv6', 'Enable IPv6 networking', false)
    .option('--label <label>', 'Set metadata on a network', collect, [])
    .option('-o, --opt <option>', 'Set driver specific options', collect, [])
    .option('--scope <scope>', "Control the network's scope", '')
    .option(
      '--subnet <subnet>',
      'Subnet in CIDR format that represents a network segment',
      collect,
      [],
    )
    .action(async (name: string, flags: CreateOptions, command: Command) => {
      await withServiceDaemon(host(command), (daemon) =>
        withIo((io) => runNetworkCreate(daemon, name, flags, io)),
      );
    });

  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'driver=overlay')", collect, [])
    .option('--format <template>', 'Pretty-print networks using a Go template')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs')
    .action(async (flags, command: Command) => {
      await withServiceDaemon(host(command), (daemon) =>
        withIo((io) =>
          runNetworkList(
            daemon,
            {
              quiet: flags.quiet === true,
              noTrunc: flags.trunc === false,
              ...(flags.format ? { format: flags.format as string } : {}),
              filters: flags.filter as string[],
            },
            io,
          ),
        ),
      );
    });

  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>')
    .option('-f, --format <template>', 'Format the output using the given Go template')
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action(async (references: string[], flags, command: Command) => {
      await withServiceDaemon(host(command), (daemon) =>
        withIo((io) =>
          runNetworkInspect(
            daemon,
            references,
            flags.format ? { format: flags.format as string } : {},
            io,
          ),
        ),
      );
    });

  network
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>')
    .option('-f, --force', 'Do not error if the network does not exist', false)
    .action(async (references: string[], flags, command: Command) => {
      const status = await withServiceDaemon(host(command), (daemon) =>
        withIo((io) => runNetworkRemove(daemon, references, { force: flags.force === true }, io)),
      );
      if (status !== 0) process.exitCode = status;
    });
}
