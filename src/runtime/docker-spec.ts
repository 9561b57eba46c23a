// Translation of a RunSpec into the body of the Docker Engine's POST /containers/create, the
// way swarmkit's container executor does it (moby daemon/cluster/executor/container), pure so
// it is unit-tested without an engine:
// - ContainerSpec.Command replaces the image's Entrypoint and Args its Cmd; Args alone keep
//   the image's Entrypoint and replace its Cmd.
// - Hosts entries are hosts(5) lines ("IP name [alias...]"); HostConfig.ExtraHosts wants
//   "name:IP", one per name.
// - Durations (StopGracePeriod, Healthcheck) are nanoseconds in both APIs; StopTimeout is whole
//   seconds, rounded up.
// - Restart policy "no": the agent decides about restarts, never the engine.
// - Secrets and configs (RunSpec.files, written by the agent in its memory-backed directory with
//   their uid, gid and mode) are bind-mounted read-only at their targets.
// Networks are attached by the agent, not here.
import type { Mount } from '../store/index.ts';
import { dockerNetworkName } from './docker-networks.ts';
import type { RunSpec } from './driver.ts';

/** The Engine API's Mount, as HostConfig.Mounts takes it. */
export interface EngineMount {
  Type: Mount['Type'];
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The subset of the Engine API's HostConfig that swarm tasks use. */
export interface EngineHostConfig {
  RestartPolicy: { Name: 'no' };
  Init?: boolean;
  ReadonlyRootfs?: boolean;
  Privileged?: boolean;
  Mounts?: EngineMount[];
  NanoCpus?: number;
  Memory?: number;
  MemoryReservation?: number;
  PidsLimit?: number;
  CapAdd?: string[];
  CapDrop?: string[];
  Sysctls?: Record<string, string>;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  ExtraHosts?: string[];
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  GroupAdd?: string[];
  PortBindings?: Record<string, { HostIp?: string; HostPort: string }[]>;
  NetworkMode?: string;
}

/** The Engine API's container create body (API 1.41) for a swarm task. */
export interface EngineCreateOptions {
  name: string;
  Image: string;
  Labels: Record<string, string>;
  Env: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: EngineHostConfig;
  NetworkingConfig?: {
    EndpointsConfig: Record<string, { IPAMConfig?: { IPv4Address: string } }>;
  };
}

const NANOS_PER_SECOND = 1e9;

/** The container create body for `spec`. */
export function toCreateOptions(spec: RunSpec): EngineCreateOptions {
  const c = spec.container;
  const options: EngineCreateOptions = {
    name: spec.name,
    Image: c.Image,
    Labels: { ...spec.labels },
    Env: [...(c.Env ?? []), ...(spec.env ?? [])],
    HostConfig: hostConfig(spec),
  };
  if (c.Command !== undefined && c.Command.length > 0) {
    options.Entrypoint = [...c.Command];
    options.Cmd = [...(c.Args ?? [])];
  } else if (c.Args !== undefined && c.Args.length > 0) {
    options.Cmd = [...c.Args];
  }
  if (c.Dir) options.WorkingDir = c.Dir;
  if (c.User) options.User = c.User;
  if (c.Hostname) options.Hostname = c.Hostname;
  if (c.TTY) options.Tty = true;
  if (c.OpenStdin) options.OpenStdin = true;
  if (c.StopSignal) options.StopSignal = c.StopSignal;
  if (c.StopGracePeriod !== undefined) {
    options.StopTimeout = Math.ceil(c.StopGracePeriod / NANOS_PER_SECOND);
  }
  if (c.Healthcheck !== undefined) options.Healthcheck = { ...c.Healthcheck };
  // The first swarm network at create; the driver connects the others before start.
  const first = spec.networks?.[0];
  if (first !== undefined) {
    options.HostConfig.NetworkMode = dockerNetworkName(first);
    options.NetworkingConfig = {
      EndpointsConfig: {
        [dockerNetworkName(first)]: { IPAMConfig: { IPv4Address: first.address } },
      },
    };
  }
  // Host-mode published ports: the engine binds them on this node only.
  if (spec.hostPorts !== undefined && spec.hostPorts.length > 0) {
    options.ExposedPorts = {};
    options.HostConfig.PortBindings = {};
    for (const port of spec.hostPorts) {
      const key = `${port.target}/${port.protocol}`;
      options.ExposedPorts[key] = {};
      const bindings = options.HostConfig.PortBindings[key] ?? [];
      bindings.push({ HostPort: String(port.published) });
      options.HostConfig.PortBindings[key] = bindings;
    }
  }
  return options;
}

function hostConfig(spec: RunSpec): EngineHostConfig {
  const c = spec.container;
  const host: EngineHostConfig = { RestartPolicy: { Name: 'no' } };
  if (c.Init !== undefined) host.Init = c.Init;
  if (c.ReadOnly) host.ReadonlyRootfs = true;
  if (c.Privileged) host.Privileged = true;
  if (c.Mounts !== undefined && c.Mounts.length > 0) host.Mounts = c.Mounts.map(toEngineMount);
  // Secrets and configs: the agent's memory-backed files, read-only at their targets.
  for (const file of spec.files?.entries ?? []) {
    host.Mounts ??= [];
    host.Mounts.push({ Type: 'bind', Source: file.source, Target: file.target, ReadOnly: true });
  }
  const limits = spec.resources?.Limits;
  if (limits?.NanoCPUs) host.NanoCpus = limits.NanoCPUs;
  if (limits?.MemoryBytes) host.Memory = limits.MemoryBytes;
  if (limits?.Pids) host.PidsLimit = limits.Pids;
  const reservations = spec.resources?.Reservations;
  if (reservations?.MemoryBytes) host.MemoryReservation = reservations.MemoryBytes;
  if (c.CapabilityAdd?.length) host.CapAdd = [...c.CapabilityAdd];
  if (c.CapabilityDrop?.length) host.CapDrop = [...c.CapabilityDrop];
  if (c.Sysctls !== undefined && Object.keys(c.Sysctls).length > 0) host.Sysctls = { ...c.Sysctls };
  if (c.Ulimits?.length) host.Ulimits = c.Ulimits.map((u) => ({ ...u }));
  if (c.Devices?.length) host.Devices = c.Devices.map((d) => ({ ...d }));
  if (c.Groups?.length) host.GroupAdd = [...c.Groups];
  const extraHosts = (c.Hosts ?? []).flatMap(toExtraHosts);
  if (extraHosts.length > 0) host.ExtraHosts = extraHosts;
  const dns = c.DNSConfig;
  if (dns?.Nameservers?.length) host.Dns = [...dns.Nameservers];
  else if (spec.networks?.length) {
    // The mesh's DNS server on each network's gateway: the engine's embedded DNS forwards to
    // it what it does not know itself (service names, tasks.NAME, the outside world).
    host.Dns = spec.networks.map((network) => network.gateway);
  }
  if (dns?.Search?.length) host.DnsSearch = [...dns.Search];
  if (dns?.Options?.length) host.DnsOptions = [...dns.Options];
  return host;
}

function toEngineMount(mount: Mount): EngineMount {
  const out: EngineMount = { Type: mount.Type, Target: mount.Target };
  if (mount.Source !== undefined) out.Source = mount.Source;
  if (mount.ReadOnly) out.ReadOnly = true;
  if (mount.Consistency) out.Consistency = mount.Consistency;
  if (mount.Type === 'bind' && mount.BindOptions) out.BindOptions = { ...mount.BindOptions };
  if (mount.Type === 'volume' && mount.VolumeOptions) {
    out.VolumeOptions = structuredClone(mount.VolumeOptions);
  }
  if (mount.Type === 'tmpfs' && mount.TmpfsOptions) out.TmpfsOptions = { ...mount.TmpfsOptions };
  return out;
}

/**
 * One hosts(5) line ("IP name [alias...]") as ExtraHosts entries ("name:IP" for the name and
 * each alias). Lines with fewer than two fields are skipped, as swarm does.
 */
export function toExtraHosts(line: string): string[] {
  const [ip, ...names] = line.trim().split(/\s+/);
  if (ip === undefined || ip === '' || names.length === 0) return [];
  return names.map((name) => `${name}:${ip}`);
}
