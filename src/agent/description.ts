// What a node tells the managers about itself: the store's NodeDescription, read from node:os
// and named as Docker names it (`uname -m` architectures, Go's OS names).
import * as os from 'node:os';
import type { Labels, NodeDescription, RuntimeName } from '../store/index.ts';

export interface DescribeNodeOptions {
  /** Default: the host name of the machine. */
  hostname?: string;
  /** Shown as Engine.EngineVersion (the Shoal version). */
  version: string;
  /** Engine labels. Default none. */
  labels?: Labels;
  /** The task runtimes this node offers (Engine.Plugins of Type 'Runtime'). */
  runtimes?: RuntimeName[];
}

/** What describeNode reads from the machine (injected by tests). */
export interface HostFacts {
  hostname: () => string;
  arch: () => string;
  platform: () => string;
  cpuCount: () => number;
  totalmem: () => number;
}

const NODE_OS: HostFacts = {
  hostname: os.hostname,
  arch: os.arch,
  platform: os.platform,
  cpuCount: () => os.availableParallelism?.() ?? os.cpus().length,
  totalmem: os.totalmem,
};

/** Node's process.arch → what Docker reports (`uname -m`). */
const ARCHITECTURES: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  arm: 'armv7l',
  ia32: 'i386',
  ppc64: 'ppc64le',
};

/** Node's process.platform → Go's GOOS, which Docker reports. */
const OPERATING_SYSTEMS: Record<string, string> = { win32: 'windows' };

export function describeNode(
  options: DescribeNodeOptions,
  host: HostFacts = NODE_OS,
): NodeDescription {
  const arch = host.arch();
  const platform = host.platform();
  return {
    Hostname: options.hostname ?? host.hostname(),
    Platform: {
      Architecture: ARCHITECTURES[arch] ?? arch,
      OS: OPERATING_SYSTEMS[platform] ?? platform,
    },
    Resources: {
      NanoCPUs: Math.max(1, host.cpuCount()) * 1e9,
      MemoryBytes: host.totalmem(),
    },
    Engine: {
      EngineVersion: options.version,
      Labels: { ...(options.labels ?? {}) },
      ...(options.runtimes
        ? { Plugins: options.runtimes.map((name) => ({ Type: 'Runtime', Name: name })) }
        : {}),
    },
  };
}
