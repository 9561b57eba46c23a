// `shoal info`: the daemon's system information with docker's Swarm section.
import type { Command } from 'commander';
import type { Cluster } from '../../store/index.ts';
import { withDaemon } from '../connection.ts';
import { formatDuration } from '../duration.ts';
import { parseTemplate } from '../template/index.ts';

interface Info {
  ID: string;
  Name: string;
  ServerVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  KernelVersion: string;
  DockerRootDir: string;
  Warnings: string[];
  Swarm: {
    NodeID: string;
    NodeAddr: string;
    LocalNodeState: string;
    ControlAvailable: boolean;
    RemoteManagers: { NodeID: string; Addr: string }[] | null;
    Nodes?: number;
    Managers?: number;
    Cluster?: Omit<Cluster, 'Internal'>;
  };
}

const MS = 1_000_000;

function swarmLines(swarm: Info['Swarm']): string[] {
  const lines = [` Swarm: ${swarm.LocalNodeState}`];
  if (swarm.LocalNodeState !== 'active' && swarm.LocalNodeState !== 'locked') return lines;
  lines.push(`  NodeID: ${swarm.NodeID}`);
  if (swarm.ControlAvailable && swarm.Cluster) {
    const { Cluster: cluster } = swarm;
    const spec = cluster.Spec;
    lines.push(
      '  Is Manager: true',
      `  ClusterID: ${cluster.ID}`,
      `  Managers: ${swarm.Managers}`,
      `  Nodes: ${swarm.Nodes}`,
      `  Default Address Pool: ${cluster.DefaultAddrPool.join(' ')}`,
      `  SubnetSize: ${cluster.SubnetSize}`,
      `  Data Path Port: ${cluster.DataPathPort}`,
      '  Orchestration:',
      `   Task History Retention Limit: ${spec.Orchestration.TaskHistoryRetentionLimit}`,
      '  Raft:',
      `   Snapshot Interval: ${spec.Raft.SnapshotInterval}`,
      `   Number of Old Snapshots to Retain: ${spec.Raft.KeepOldSnapshots}`,
      `   Heartbeat Tick: ${spec.Raft.HeartbeatTick}`,
      `   Election Tick: ${spec.Raft.ElectionTick}`,
      '  Dispatcher:',
      `   Heartbeat Period: ${formatDuration(spec.Dispatcher.HeartbeatPeriod / MS)}`,
      '  CA Configuration:',
      `   Expiry Duration: ${formatDuration(spec.CAConfig.NodeCertExpiry / MS)}`,
      '   Force Rotate: 0',
      `  Autolock Managers: ${spec.EncryptionConfig.AutoLockManagers}`,
      `  Root Rotation In Progress: ${cluster.RootRotationInProgress}`,
    );
  } else {
    lines.push('  Is Manager: false');
  }
  lines.push(`  Node Address: ${swarm.NodeAddr}`);
  if (swarm.RemoteManagers?.length) {
    lines.push('  Manager Addresses:', ...swarm.RemoteManagers.map((m) => `   ${m.Addr}`));
  }
  return lines;
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <template>', 'Format the output using the given Go template')
    .action(async (flags, command: Command) => {
      await withDaemon(command.optsWithGlobals().host, async (connection) => {
        const info = await connection.call<Info>('GET', '/info');
        if (flags.format) {
          console.log(parseTemplate(flags.format).execute(info));
          return;
        }
        const lines = [
          'Server:',
          ` Server Version: ${info.ServerVersion}`,
          ...swarmLines(info.Swarm),
          ` Kernel Version: ${info.KernelVersion}`,
          ` Operating System: ${info.OperatingSystem}`,
          ` OSType: ${info.OSType}`,
          ` Architecture: ${info.Architecture}`,
          ` CPUs: ${info.NCPU}`,
          ` Total Memory: ${(info.MemTotal / 1024 ** 3).toFixed(2)}GiB`,
          ` Name: ${info.Name}`,
          ` ID: ${info.ID}`,
          ` Shoal Root Dir: ${info.DockerRootDir}`,
        ];
        console.log(lines.join('\n'));
        if (info.Warnings.length > 0) console.error(`\n${info.Warnings.join('\n')}`);
      });
    });
}
