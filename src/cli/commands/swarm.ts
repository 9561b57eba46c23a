// `shoal swarm ...`: docker's swarm verbs, flags, messages and exit codes.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { ClusterSpec } from '../../store/index.ts';
import { CliError, type Connection, withDaemon } from '../connection.ts';
import { parseDurationMs } from '../duration.ts';
import {
  type CaFlags,
  checkCaFlags,
  followRotation,
  readPemFlag,
  rotationSpec,
  type SwarmWithCa,
} from './swarm-ca.ts';

const NANOSECONDS_PER_MILLISECOND = 1_000_000;

interface SwarmObject {
  Version: { Index: number };
  Spec: ClusterSpec;
  JoinTokens: { Worker: string; Manager: string };
}

interface InfoObject {
  Swarm: {
    NodeID: string;
    NodeAddr: string;
    RemoteManagers: { NodeID: string; Addr: string }[] | null;
  };
}

function host(command: Command): string | undefined {
  return command.optsWithGlobals().host;
}

function specFlags(flags: Record<string, string | boolean | undefined>): Partial<ClusterSpec> {
  const spec: Partial<ClusterSpec> = {};
  if (typeof flags.certExpiry === 'string') {
    spec.CAConfig = {
      NodeCertExpiry: parseDurationMs(flags.certExpiry) * NANOSECONDS_PER_MILLISECOND,
    };
  }
  if (typeof flags.dispatcherHeartbeat === 'string') {
    spec.Dispatcher = {
      HeartbeatPeriod: parseDurationMs(flags.dispatcherHeartbeat) * NANOSECONDS_PER_MILLISECOND,
    };
  }
  if (typeof flags.taskHistoryLimit === 'string') {
    spec.Orchestration = { TaskHistoryRetentionLimit: Number(flags.taskHistoryLimit) };
  }
  return spec;
}

/** The address to join: this manager's, as other nodes reach it. */
async function joinAddress(connection: Connection): Promise<string> {
  const info = await connection.call<InfoObject>('GET', '/info');
  const self = info.Swarm.RemoteManagers?.find((m) => m.NodeID === info.Swarm.NodeID);
  return self?.Addr ?? `${info.Swarm.NodeAddr}:2377`;
}

async function printJoinCommand(
  connection: Connection,
  role: 'worker' | 'manager',
  quiet: boolean,
) {
  const swarm = await connection.call<SwarmObject>('GET', '/swarm');
  const token = role === 'worker' ? swarm.JoinTokens.Worker : swarm.JoinTokens.Manager;
  if (quiet) {
    console.log(token);
    return;
  }
  console.log(`To add a ${role} to this swarm, run the following command:\n`);
  console.log(`    shoal swarm join --token ${token} ${await joinAddress(connection)}\n`);
}

function printUnlockKey(key: string): void {
  console.log('To unlock a swarm manager after it restarts, run the `shoal swarm unlock`');
  console.log('command and provide the following key:\n');
  console.log(`    ${key}\n`);
  console.log('Please remember to store this key in a password manager, since without it you');
  console.log('will not be able to restart the manager.');
}

export function registerSwarm(program: Command): void {
  const swarm = program.command('swarm').description('Manage Swarm');

  swarm
    .command('init')
    .description('Initialize a swarm')
    .option('--advertise-addr <address>', 'Advertised address (format: <ip>[:port])')
    .option('--listen-addr <address>', 'Listen address (format: <ip>[:port])', '0.0.0.0:2377')
    .option(
      '--autolock',
      'Enable manager autolocking (requiring an unlock key to start a stopped manager)',
    )
    .option(
      '--cert-expiry <duration>',
      'Validity period for node certificates (ns|us|ms|s|m|h)',
      '2160h',
    )
    .option('--dispatcher-heartbeat <duration>', 'Dispatcher heartbeat period (ns|us|ms|s|m|h)')
    .option('--task-history-limit <n>', 'Task history retention limit', '5')
    .option('--force-new-cluster', 'Force create a new cluster from current state')
    .option(
      '--availability <state>',
      'Availability of the node ("active"|"pause"|"drain")',
      'active',
    )
    .action(async (flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        const nodeId = await connection.call<string>('POST', '/swarm/init', {
          body: {
            ListenAddr: flags.listenAddr,
            AdvertiseAddr: flags.advertiseAddr ?? '',
            ForceNewCluster: flags.forceNewCluster === true,
            AutoLockManagers: flags.autolock === true,
            Availability: flags.availability,
            Spec: specFlags(flags),
          },
        });
        console.log(`Swarm initialized: current node (${nodeId}) is now a manager.\n`);
        await printJoinCommand(connection, 'worker', false);
        console.log(
          "To add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions.\n",
        );
        if (flags.autolock) {
          const { UnlockKey } = await connection.call<{ UnlockKey: string }>(
            'GET',
            '/swarm/unlockkey',
          );
          printUnlockKey(UnlockKey);
        }
      });
    });

  swarm
    .command('join')
    .description('Join a swarm as a node and/or manager')
    .argument('<host:port>', 'the address of a manager')
    .requiredOption('--token <token>', 'Token for entry into the swarm')
    .option('--advertise-addr <address>', 'Advertised address (format: <ip>[:port])')
    .option('--listen-addr <address>', 'Listen address (format: <ip>[:port])', '0.0.0.0:2377')
    .option(
      '--availability <state>',
      'Availability of the node ("active"|"pause"|"drain")',
      'active',
    )
    .action(async (remote: string, flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        await connection.call('POST', '/swarm/join', {
          body: {
            RemoteAddrs: [remote],
            JoinToken: flags.token,
            ListenAddr: flags.listenAddr,
            AdvertiseAddr: flags.advertiseAddr ?? '',
            Availability: flags.availability,
          },
        });
        const info = await connection.call<{ Swarm: { ControlAvailable: boolean } }>(
          'GET',
          '/info',
        );
        console.log(
          `This node joined a swarm as a ${info.Swarm.ControlAvailable ? 'manager' : 'worker'}.`,
        );
      });
    });

  swarm
    .command('join-token')
    .description('Manage join tokens')
    .argument('<role>', 'worker or manager')
    .option('-q, --quiet', 'Only display token')
    .option('--rotate', 'Rotate join token')
    .action(async (role: string, flags, command: Command) => {
      if (role !== 'worker' && role !== 'manager') {
        throw new CliError(`unknown role ${role}`);
      }
      await withDaemon(host(command), async (connection) => {
        if (flags.rotate) {
          const current = await connection.call<SwarmObject>('GET', '/swarm');
          await connection.call('POST', '/swarm/update', {
            query: {
              version: current.Version.Index,
              [role === 'worker' ? 'rotateWorkerToken' : 'rotateManagerToken']: true,
            },
            body: current.Spec,
          });
          if (!flags.quiet) console.log(`Successfully rotated ${role} join token.\n`);
        }
        await printJoinCommand(connection, role, flags.quiet === true);
      });
    });

  swarm
    .command('leave')
    .description('Leave the swarm')
    .option('-f, --force', 'Force this node to leave the swarm, ignoring warnings')
    .action(async (flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        await connection.call('POST', '/swarm/leave', { query: { force: flags.force === true } });
        console.log('Node left the swarm.');
      });
    });

  swarm
    .command('update')
    .description('Update the swarm')
    .option('--autolock <bool>', 'Change manager autolocking setting (true|false)')
    .option('--cert-expiry <duration>', 'Validity period for node certificates (ns|us|ms|s|m|h)')
    .option('--dispatcher-heartbeat <duration>', 'Dispatcher heartbeat period (ns|us|ms|s|m|h)')
    .option('--task-history-limit <n>', 'Task history retention limit')
    .action(async (flags, command: Command) => {
      let autolock: boolean | undefined;
      if (flags.autolock !== undefined) {
        const text = String(flags.autolock).toLowerCase();
        if (!['true', 'false', '1', '0', 't', 'f'].includes(text)) {
          throw new CliError(
            `invalid argument "${flags.autolock}" for "--autolock" flag: strconv.ParseBool: parsing "${flags.autolock}": invalid syntax`,
            125,
          );
        }
        autolock = text === 'true' || text === '1' || text === 't';
      }
      await withDaemon(host(command), async (connection) => {
        const current = await connection.call<SwarmObject>('GET', '/swarm');
        const changes = specFlags(flags);
        const body = { ...current.Spec, ...changes };
        const wasLocked = current.Spec.EncryptionConfig?.AutoLockManagers === true;
        if (autolock !== undefined) body.EncryptionConfig = { AutoLockManagers: autolock };
        await connection.call('POST', '/swarm/update', {
          query: { version: current.Version.Index },
          body,
        });
        console.log('Swarm updated.');
        if (autolock === true && !wasLocked) {
          const { UnlockKey } = await connection.call<{ UnlockKey: string }>(
            'GET',
            '/swarm/unlockkey',
          );
          printUnlockKey(UnlockKey);
        }
      });
    });

  swarm
    .command('unlock')
    .description('Unlock swarm')
    .action(async (_flags, command: Command) => {
      const key = await readUnlockKey();
      await withDaemon(host(command), (connection) =>
        connection.call('POST', '/swarm/unlock', { body: { UnlockKey: key } }),
      );
    });

  swarm
    .command('ca')
    .description('Display and rotate the root CA')
    .option('--cert-expiry <duration>', 'Validity period for node certificates (ns|us|ms|s|m|h)')
    .option('--rotate', 'Rotate the swarm CA')
    .option('--ca-cert <pem-file>', 'Path to the PEM-formatted root CA certificate to use')
    .option('--ca-key <pem-file>', 'Path to the PEM-formatted root CA key to use')
    .option('-d, --detach', 'Exit immediately instead of waiting for the root rotation to converge')
    .option('-q, --quiet', 'Suppress progress output')
    .action(async (flags: CaFlags, command: Command) => {
      checkCaFlags(flags);
      if (flags.rotate) {
        const certPem =
          flags.caCert === undefined ? undefined : readPemFlag(flags.caCert, 'ca-cert');
        const keyPem = flags.caKey === undefined ? undefined : readPemFlag(flags.caKey, 'ca-key');
        await withDaemon(host(command), async (connection) => {
          const current = await connection.call<SwarmWithCa>('GET', '/swarm');
          const expiry =
            typeof flags.certExpiry === 'string'
              ? parseDurationMs(flags.certExpiry) * NANOSECONDS_PER_MILLISECOND
              : undefined;
          await connection.call('POST', '/swarm/update', {
            query: { version: current.Version.Index },
            body: rotationSpec(current.Spec, certPem, keyPem, expiry),
          });
          if (flags.detach) return;
          await followRotation(connection, {
            quiet: flags.quiet === true,
            write: (text) => process.stdout.write(text),
            terminal: process.stdout.isTTY === true,
            columns: process.stdout.columns ?? 200,
          });
        });
        return;
      }
      await withDaemon(host(command), async (connection) => {
        let current = await connection.call<SwarmObject & { TLSInfo: { TrustRoot: string } }>(
          'GET',
          '/swarm',
        );
        if (typeof flags.certExpiry === 'string') {
          await connection.call('POST', '/swarm/update', {
            query: { version: current.Version.Index },
            body: { ...current.Spec, ...specFlags({ certExpiry: flags.certExpiry }) },
          });
          current = await connection.call('GET', '/swarm');
        }
        process.stdout.write(
          current.TLSInfo.TrustRoot.endsWith('\n')
            ? current.TLSInfo.TrustRoot
            : `${current.TLSInfo.TrustRoot}\n`,
        );
      });
    });

  swarm
    .command('unlock-key')
    .description('Manage the unlock key')
    .option('-q, --quiet', 'Only display token')
    .option('--rotate', 'Rotate unlock key')
    .action(async (flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        if (flags.rotate) {
          const current = await connection.call<SwarmObject>('GET', '/swarm');
          if (current.Spec.EncryptionConfig?.AutoLockManagers !== true) {
            throw new CliError('Error: cannot rotate because autolock is not turned on');
          }
          await connection.call('POST', '/swarm/update', {
            query: { version: current.Version.Index, rotateManagerUnlockKey: true },
            body: current.Spec,
          });
          if (!flags.quiet) console.log('Successfully rotated manager unlock key.\n');
        }
        const { UnlockKey } = await connection.call<{ UnlockKey: string }>(
          'GET',
          '/swarm/unlockkey',
        );
        if (!UnlockKey) throw new CliError('Error response from daemon: no unlock key is set');
        if (flags.quiet) console.log(UnlockKey);
        else printUnlockKey(UnlockKey);
      });
    });
}

/** Reads the key from a terminal prompt, or from standard input when it is piped. */
async function readUnlockKey(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    return text.trim();
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question('Please enter unlock key: ')).trim();
  } finally {
    prompt.close();
  }
}
