// One service of one compose file, read into a ServiceModel: every key docker's stack deploy
// converts, Shoal's `devices`, `privileged` and `depends_on`; keys docker ignores are noted for
// its one warning, keys it forbids are refused with its explanation.
import { isAbsolute, resolve } from 'node:path';
import { parseEnvFile } from './env-files.ts';
import type { Lookup } from './interpolate.ts';
import type { Issues, Location } from './issues.ts';
import { emptyDeploy, readDeploy, readHealthcheck } from './load-deploy.ts';
import type {
  Dependency,
  DependencyCondition,
  DeviceEntry,
  ExtendsReference,
  FileReferenceEntry,
  NetworkAttachment,
  PortEntry,
  ServiceModel,
  VolumeEntry,
} from './model.ts';
import { PortSyntaxError, parsePortSpec } from './ports.ts';
import { childPath, type FieldReader, itemPath, type Reader, recordOf } from './read.ts';
import { PROPAGATIONS, parseVolumeSpec, VolumeSyntaxError } from './volume-spec.ts';
import type { TreeNode } from './yaml-tree.ts';

/** Reads a file the compose files name: its bytes, or undefined when it does not exist. */
export type FileReader = (path: string) => Uint8Array | undefined;

export interface LoadContext {
  reader: Reader;
  issues: Issues;
  /** The directory of the first compose file: relative paths start there, as in docker. */
  workingDir: string;
  lookup: Lookup;
  readFile: FileReader;
  unsupported: (name: string) => void;
  deprecated: (name: string, why: string) => void;
  warn: (message: string) => void;
}

/** Keys docker's stack deploy ignores, warning once ("Ignoring unsupported options: ..."). */
const UNSUPPORTED = [
  'build',
  'cgroupns_mode',
  'cgroup_parent',
  'credential_spec',
  'domainname',
  'external_links',
  'ipc',
  'isolation',
  'links',
  'mac_address',
  'network_mode',
  'oom_score_adj',
  'pid',
  'profiles',
  'security_opt',
  'shm_size',
  'tmpfs',
  'userns_mode',
];

const DEPRECATED: Record<string, string> = {
  container_name: 'Setting the container name is not supported.',
  expose:
    "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
};

const FORBIDDEN: Record<string, string> = {
  volume_driver:
    'Instead of setting the volume driver on the service, define a volume using the top-level "volumes" option and specify the driver there.',
  volumes_from:
    'To share a volume between services, define it using the top-level "volumes" option and reference it from each service that shares it using the service-level "volumes" option.',
  cpu_quota: 'Set resource limits using deploy.resources',
  cpu_shares: 'Set resource limits using deploy.resources',
  cpuset: 'Set resource limits using deploy.resources',
  mem_limit: 'Set resource limits using deploy.resources',
  memswap_limit: 'Set resource limits using deploy.resources',
};

export function emptyService(name: string, at: Location): ServiceModel {
  return {
    name,
    at,
    environment: new Map(),
    envFiles: [],
    ports: [],
    volumes: [],
    secrets: [],
    configs: [],
    deploy: emptyDeploy(),
    labels: {},
    capAdd: [],
    capDrop: [],
    sysctls: {},
    ulimits: new Map(),
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    devices: [],
    dependsOn: new Map(),
  };
}

function readPorts(context: LoadContext, node: TreeNode, path: string): PortEntry[] {
  const { reader } = context;
  if (node.kind !== 'seq') return reader.fail(node.at, path, 'must be a list') ?? [];
  const ports: PortEntry[] = [];
  node.items.forEach((item, index) => {
    const at = itemPath(path, index);
    if (
      item.kind === 'scalar' &&
      (typeof item.value === 'string' || typeof item.value === 'number')
    ) {
      try {
        for (const port of parsePortSpec(String(item.value), context.warn)) {
          ports.push({ ...port, mode: 'ingress', at: item.at });
        }
      } catch (error) {
        if (!(error instanceof PortSyntaxError)) throw error;
        reader.fail(item.at, at, error.message);
      }
      return;
    }
    const port: Partial<PortEntry> = { protocol: 'tcp', mode: 'ingress', at: item.at };
    reader.fields(item, at, {
      target: (value, p) => {
        port.target = reader.integer(value, p, 1);
      },
      published: (value, p) => {
        if (value.kind === 'scalar' && typeof value.value === 'string' && /^\d+$/.test(value.value))
          port.published = Number(value.value);
        else port.published = reader.integer(value, p, 0);
      },
      protocol: (value, p) => {
        port.protocol = reader.choice(value, p, ['tcp', 'udp', 'sctp']);
      },
      mode: (value, p) => {
        port.mode = reader.choice(value, p, ['ingress', 'host']);
      },
    });
    if (item.kind !== 'map') return;
    if (port.target === undefined) {
      reader.fail(item.at, at, 'target is required');
      return;
    }
    if (port.target > 65535 || (port.published ?? 0) > 65535) {
      reader.fail(item.at, at, 'ports must be between 1 and 65535');
      return;
    }
    if (port.protocol && port.mode) ports.push(port as PortEntry);
  });
  return ports;
}

function bindSource(context: LoadContext, source: string): string {
  let path = source;
  if (path.startsWith('~')) {
    const home = context.lookup('HOME');
    if (home === undefined) context.warn("cannot expand '~', because the environment lacks HOME");
    else path = home + path.slice(1);
  }
  return isAbsolute(path) ? path : resolve(context.workingDir, path);
}

function readVolumeOptions(
  reader: Reader,
  item: TreeNode,
  at: string,
  volume: Partial<VolumeEntry>,
): void {
  reader.fields(item, at, {
    type: (value, p) => {
      volume.type = reader.choice(value, p, ['volume', 'bind', 'tmpfs', 'npipe']);
    },
    source: (value, p) => {
      volume.source = reader.string(value, p);
    },
    target: (value, p) => {
      volume.target = reader.string(value, p);
    },
    read_only: (value, p) => {
      volume.readOnly = reader.boolean(value, p);
    },
    consistency: (value, p) => {
      volume.consistency = reader.string(value, p);
    },
    bind: (value, p) => {
      const bind: NonNullable<VolumeEntry['bind']> = {};
      reader.fields(value, p, {
        propagation: (v, q) => {
          bind.propagation = reader.choice(v, q, PROPAGATIONS);
        },
      });
      volume.bind = bind;
    },
    volume: (value, p) => {
      const options: NonNullable<VolumeEntry['volume']> = {};
      reader.fields(value, p, {
        nocopy: (v, q) => {
          options.nocopy = reader.boolean(v, q);
        },
      });
      volume.volume = options;
    },
    tmpfs: (value, p) => {
      const options: NonNullable<VolumeEntry['tmpfs']> = {};
      reader.fields(value, p, {
        size: (v, q) => {
          options.size = reader.bytes(v, q);
        },
        mode: (v, q) => {
          options.mode = reader.integer(v, q, 0);
        },
      });
      volume.tmpfs = options;
    },
  });
}

/** docker's convert checks, made at load time where the item's place is known. */
function checkVolume(reader: Reader, volume: VolumeEntry, path: string): boolean {
  const problem = (() => {
    if (!volume.target) return 'target is required';
    const others = (['bind', 'volume', 'tmpfs'] as const).filter(
      (kind) => kind !== volume.type && volume[kind] !== undefined,
    );
    if (others.length > 0) return `${others[0]} options are incompatible with type ${volume.type}`;
    if (volume.type === 'bind' && !volume.source)
      return 'invalid mount config for type "bind": field Source must not be empty';
    if (volume.type === 'tmpfs' && volume.source)
      return 'invalid tmpfs source, source must be empty';
    if (volume.type === 'npipe') return 'npipe mounts are Windows-only and not supported';
    return undefined;
  })();
  if (problem) reader.fail(volume.at, path, problem);
  return problem === undefined;
}

function readVolumes(context: LoadContext, node: TreeNode, path: string): VolumeEntry[] {
  const { reader } = context;
  if (node.kind !== 'seq') return reader.fail(node.at, path, 'must be a list') ?? [];
  const volumes: VolumeEntry[] = [];
  node.items.forEach((item, index) => {
    const at = itemPath(path, index);
    let volume: Partial<VolumeEntry> = { at: item.at };
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      try {
        const parsed = parseVolumeSpec(item.value);
        volume = {
          at: item.at,
          type: parsed.type,
          target: parsed.target,
          ...(parsed.source === undefined ? {} : { source: parsed.source }),
          ...(parsed.readOnly === undefined ? {} : { readOnly: parsed.readOnly }),
          ...(parsed.nocopy ? { volume: { nocopy: true } } : {}),
          ...(parsed.propagation ? { bind: { propagation: parsed.propagation } } : {}),
        };
      } catch (error) {
        if (!(error instanceof VolumeSyntaxError)) throw error;
        reader.fail(item.at, at, error.message);
        return;
      }
    } else if (item.kind === 'map') {
      readVolumeOptions(reader, item, at, volume);
      if (volume.type === undefined) {
        if (!item.entries.some((entry) => entry.key === 'type'))
          reader.fail(item.at, at, 'type is required');
        return;
      }
    } else {
      reader.fail(item.at, at, 'must be a string or a mapping');
      return;
    }
    const entry = volume as VolumeEntry;
    if (!checkVolume(reader, entry, at)) return;
    if (entry.type === 'bind') entry.source = bindSource(context, entry.source!);
    volumes.push(entry);
  });
  return volumes;
}

function readFileReferences(reader: Reader, node: TreeNode, path: string): FileReferenceEntry[] {
  if (node.kind !== 'seq') return reader.fail(node.at, path, 'must be a list') ?? [];
  const references: FileReferenceEntry[] = [];
  node.items.forEach((item, index) => {
    const at = itemPath(path, index);
    if (item.kind === 'scalar') {
      const source = reader.string(item, at);
      if (source !== undefined) references.push({ source, at: item.at });
      return;
    }
    const reference: Partial<FileReferenceEntry> = { at: item.at };
    reader.fields(item, at, {
      source: (v, p) => {
        reference.source = reader.string(v, p);
      },
      target: (v, p) => {
        reference.target = reader.string(v, p);
      },
      uid: (v, p) => {
        reference.uid = reader.string(v, p);
      },
      gid: (v, p) => {
        reference.gid = reader.string(v, p);
      },
      mode: (v, p) => {
        reference.mode = reader.integer(v, p, 0);
      },
    });
    if (item.kind !== 'map') return;
    if (reference.source === undefined) {
      if (!item.entries.some((entry) => entry.key === 'source'))
        reader.fail(item.at, at, 'source is required');
      return;
    }
    references.push(reference as FileReferenceEntry);
  });
  return references;
}

function readNetworks(
  context: LoadContext,
  node: TreeNode,
  path: string,
): Map<string, NetworkAttachment> {
  const { reader } = context;
  const networks = new Map<string, NetworkAttachment>();
  if (node.kind === 'seq') {
    node.items.forEach((item, index) => {
      const name = reader.string(item, itemPath(path, index));
      if (name !== undefined) networks.set(name, { at: item.at });
    });
    return networks;
  }
  const map = reader.map(node, path);
  for (const entry of map?.entries ?? []) {
    const attachment: NetworkAttachment = { at: entry.keyAt };
    reader.fields(
      entry.value,
      childPath(path, entry.key),
      {
        aliases: (v, p) => {
          attachment.aliases = reader.stringList(v, p);
        },
        driver_opts: (v, p) => {
          attachment.driverOpts = reader.stringMap(v, p);
        },
        ipv4_address: (v, p) => {
          reader.string(v, p);
          context.unsupported('networks.ipv4_address');
        },
        ipv6_address: (v, p) => {
          reader.string(v, p);
          context.unsupported('networks.ipv6_address');
        },
      },
      { nullable: true },
    );
    networks.set(entry.key, attachment);
  }
  return networks;
}

const CONDITIONS: readonly DependencyCondition[] = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
];

function readDependsOn(reader: Reader, node: TreeNode, path: string): Map<string, Dependency> {
  const dependencies = new Map<string, Dependency>();
  if (node.kind === 'seq') {
    node.items.forEach((item, index) => {
      const name = reader.string(item, itemPath(path, index));
      if (name !== undefined) dependencies.set(name, { condition: 'service_started', at: item.at });
    });
    return dependencies;
  }
  const map = reader.map(node, path);
  for (const entry of map?.entries ?? []) {
    const dependency: Dependency = { condition: 'service_started', at: entry.keyAt };
    let required = true;
    reader.fields(entry.value, childPath(path, entry.key), {
      condition: (v, p) => {
        dependency.condition = reader.choice(v, p, CONDITIONS) ?? 'service_started';
      },
      required: (v, p) => {
        required = reader.boolean(v, p) ?? true;
      },
      restart: (v, p) => {
        reader.boolean(v, p);
      },
    });
    if (required) dependencies.set(entry.key, dependency);
  }
  return dependencies;
}

function readDevices(reader: Reader, node: TreeNode, path: string): DeviceEntry[] {
  const devices: DeviceEntry[] = [];
  const list = reader.stringList(node, path) ?? [];
  list.forEach((text, index) => {
    const parts = text.split(':');
    const pathOnHost = parts[0] ?? '';
    let pathInContainer = pathOnHost;
    let permissions = 'rwm';
    if (parts.length === 2) {
      if (/^[rwm]+$/.test(parts[1]!)) permissions = parts[1]!;
      else pathInContainer = parts[1]!;
    } else if (parts.length === 3) {
      pathInContainer = parts[1]!;
      permissions = parts[2]!;
    }
    const item = node.kind === 'seq' ? node.items[index]! : node;
    if (
      parts.length > 3 ||
      !pathOnHost.startsWith('/') ||
      !pathInContainer.startsWith('/') ||
      !/^[rwm]+$/.test(permissions)
    ) {
      reader.fail(
        item.at,
        itemPath(path, index),
        `invalid device "${text}": expected /host/path[:/container/path][:rwm]`,
      );
      return;
    }
    devices.push({ pathOnHost, pathInContainer, permissions });
  });
  return devices;
}

function readUlimits(reader: Reader, node: TreeNode, path: string) {
  const ulimits = new Map<string, { soft: number; hard: number }>();
  for (const entry of reader.map(node, path)?.entries ?? []) {
    const at = childPath(path, entry.key);
    if (!/^[a-z]+$/.test(entry.key)) {
      reader.fail(entry.keyAt, at, 'ulimit names are lowercase letters (nofile, nproc...)');
      continue;
    }
    if (entry.value.kind === 'scalar') {
      const single = reader.integer(entry.value, at);
      if (single !== undefined) ulimits.set(entry.key, { soft: single, hard: single });
      continue;
    }
    let soft: number | undefined;
    let hard: number | undefined;
    reader.fields(entry.value, at, {
      soft: (v, p) => {
        soft = reader.integer(v, p);
      },
      hard: (v, p) => {
        hard = reader.integer(v, p);
      },
    });
    if (soft === undefined || hard === undefined) {
      if (entry.value.kind === 'map') reader.fail(entry.value.at, at, 'needs both soft and hard');
      continue;
    }
    ulimits.set(entry.key, { soft, hard });
  }
  return ulimits;
}

/** docker's resolveEnvironment: env files first, then `environment:`; empty values looked up. */
function readEnvFiles(
  context: LoadContext,
  service: ServiceModel,
  path: string,
): Map<string, string | null> {
  const result = new Map<string, string | null>();
  service.envFiles.forEach(({ path: file, display, at }, index) => {
    const bytes = context.readFile(file);
    if (bytes === undefined) {
      context.reader.fail(
        at,
        itemPath(path, index),
        `cannot read env file ${display}: no such file`,
      );
      return;
    }
    const text = new TextDecoder().decode(bytes);
    for (const [name, value] of parseEnvFile(text, display, context.lookup, context.issues)) {
      result.set(name, value);
    }
  });
  return result;
}

function mergeEnvironment(
  target: Map<string, string | null>,
  source: Map<string, string | null>,
  lookup: Lookup,
): void {
  for (const [name, value] of source) {
    const fromEnvironment = lookup(name);
    target.set(
      name,
      (value === null || value === '') && fromEnvironment !== undefined ? fromEnvironment : value,
    );
  }
}

/** `extends: base` or `extends: {service: base, file: common.yml}`. */
function readExtends(reader: Reader, node: TreeNode, path: string): ExtendsReference | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    return { service: node.value, at: node.at };
  }
  if (node.kind !== 'map') return reader.fail(node.at, path, 'must be a service name or a mapping');
  let service: string | undefined;
  let file: string | undefined;
  const map = reader.fields(node, path, {
    service: (v, p) => {
      service = reader.string(v, p);
    },
    file: (v, p) => {
      file = reader.string(v, p);
    },
  });
  if (!map) return undefined;
  if (service === undefined) return reader.fail(node.at, path, 'service is required');
  return { service, at: node.at, ...(file === undefined ? {} : { file }) };
}

function stringField(reader: Reader, assign: (value: string | undefined) => void): FieldReader {
  return (node, path) => assign(reader.string(node, path));
}

function booleanField(reader: Reader, assign: (value: boolean | undefined) => void): FieldReader {
  return (node, path) => assign(reader.boolean(node, path));
}

/** Reads one service of one file. */
export function readService(
  context: LoadContext,
  name: string,
  at: Location,
  node: TreeNode,
  path: string,
): ServiceModel {
  const { reader } = context;
  const service = emptyService(name, at);
  let environment = new Map<string, string | null>();
  const readers: Record<string, FieldReader> = {
    image: stringField(reader, (value) => {
      service.image = value;
    }),
    command: (v, p) => {
      service.command = reader.command(v, p);
    },
    entrypoint: (v, p) => {
      service.entrypoint = reader.command(v, p);
    },
    environment: (v, p) => {
      environment = reader.listOrDict(v, p, { keepNull: true }) ?? new Map();
    },
    env_file: (v, p) => {
      const files = reader.stringOrList(v, p) ?? [];
      service.envFiles = files.map((file, index) => ({
        path: isAbsolute(file) ? file : resolve(context.workingDir, file),
        display: file,
        at: v.kind === 'seq' ? v.items[index]!.at : v.at,
      }));
    },
    ports: (v, p) => {
      service.ports = readPorts(context, v, p);
    },
    volumes: (v, p) => {
      service.volumes = readVolumes(context, v, p);
    },
    networks: (v, p) => {
      service.networks = readNetworks(context, v, p);
    },
    secrets: (v, p) => {
      service.secrets = readFileReferences(reader, v, p);
    },
    configs: (v, p) => {
      service.configs = readFileReferences(reader, v, p);
    },
    deploy: (v, p) => {
      service.deploy = readDeploy(reader, v, p);
    },
    healthcheck: (v, p) => {
      service.healthcheck = readHealthcheck(reader, v, p, context.unsupported);
    },
    labels: (v, p) => {
      service.labels = recordOf(reader.listOrDict(v, p));
    },
    hostname: stringField(reader, (value) => {
      service.hostname = value;
    }),
    user: stringField(reader, (value) => {
      service.user = value;
    }),
    working_dir: stringField(reader, (value) => {
      service.workingDir = value;
    }),
    stop_grace_period: (v, p) => {
      service.stopGracePeriod = reader.duration(v, p);
    },
    stop_signal: stringField(reader, (value) => {
      service.stopSignal = value;
    }),
    cap_add: (v, p) => {
      service.capAdd = reader.stringList(v, p) ?? [];
    },
    cap_drop: (v, p) => {
      service.capDrop = reader.stringList(v, p) ?? [];
    },
    sysctls: (v, p) => {
      service.sysctls = recordOf(reader.listOrDict(v, p));
    },
    ulimits: (v, p) => {
      service.ulimits = readUlimits(reader, v, p);
    },
    init: booleanField(reader, (value) => {
      service.init = value;
    }),
    read_only: booleanField(reader, (value) => {
      service.readOnly = value;
    }),
    tty: booleanField(reader, (value) => {
      service.tty = value;
    }),
    stdin_open: booleanField(reader, (value) => {
      service.stdinOpen = value;
    }),
    privileged: booleanField(reader, (value) => {
      service.privileged = value;
    }),
    extra_hosts: (v, p) => {
      const hosts = reader.listOrDict(v, p, { separator: v.kind === 'seq' ? ':' : '=' });
      service.extraHosts = [...(hosts ?? [])].map(([host, ip]) => `${host}:${ip ?? ''}`);
      if (v.kind === 'map') service.extraHosts.sort();
    },
    dns: (v, p) => {
      service.dns = reader.stringOrList(v, p) ?? [];
    },
    dns_search: (v, p) => {
      service.dnsSearch = reader.stringOrList(v, p) ?? [];
    },
    logging: (v, p) => {
      const logging: NonNullable<ServiceModel['logging']> = { options: {} };
      reader.fields(v, p, {
        driver: (d, q) => {
          logging.driver = reader.string(d, q);
        },
        options: (o, q) => {
          logging.options = recordOf(reader.listOrDict(o, q));
        },
      });
      service.logging = logging;
    },
    devices: (v, p) => {
      service.devices = readDevices(reader, v, p);
    },
    depends_on: (v, p) => {
      service.dependsOn = readDependsOn(reader, v, p);
    },
    extends: (v, p) => {
      const reference = readExtends(reader, v, p);
      if (reference) service.extends = reference;
    },
    restart: (v, p) => {
      context.unsupported('restart');
      service.restartAt = v.at;
      if (v.kind === 'scalar' && v.value === false) service.restart = 'no';
      else service.restart = reader.string(v, p);
    },
  };
  for (const key of UNSUPPORTED) readers[key] = () => context.unsupported(key);
  for (const [key, why] of Object.entries(DEPRECATED)) {
    readers[key] = () => context.deprecated(key, why);
  }
  for (const [key, why] of Object.entries(FORBIDDEN)) {
    readers[key] = (v, p) => reader.fail(v.at, p, why);
  }
  reader.fields(node, path, readers, { extensions: true });
  const fromFiles = readEnvFiles(context, service, childPath(path, 'env_file'));
  mergeEnvironment(service.environment, fromFiles, context.lookup);
  mergeEnvironment(service.environment, environment, context.lookup);
  return service;
}
