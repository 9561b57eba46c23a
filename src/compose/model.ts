// A compose file as read and checked, before it becomes Engine API specs: one `ComposeModel`
// per file, merged into one (merge.ts), then converted (convert-*.ts). Everything that a later
// step can still find wrong (a service naming an undefined network, say) keeps its location.
import type { Location } from './issues.ts';

export interface Located {
  at: Location;
}

export interface PortEntry extends Located {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
}

export interface VolumeEntry extends Located {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe';
  source?: string;
  target: string;
  readOnly?: boolean;
  consistency?: string;
  bind?: { propagation?: string };
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: number; mode?: number };
}

/** A service's `secrets:` or `configs:` item. */
export interface FileReferenceEntry extends Located {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface NetworkAttachment extends Located {
  aliases?: string[];
  driverOpts?: Record<string, string>;
}

export type DependencyCondition =
  | 'service_started'
  | 'service_healthy'
  | 'service_completed_successfully';

export interface Dependency extends Located {
  condition: DependencyCondition;
}

export interface UpdateSettings {
  parallelism?: number;
  delay?: number;
  failureAction?: 'pause' | 'continue' | 'rollback';
  monitor?: number;
  maxFailureRatio?: number;
  order?: 'stop-first' | 'start-first';
}

export interface DeploySettings {
  mode?: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  modeAt?: Location;
  replicas?: number;
  replicasAt?: Location;
  labels: Record<string, string>;
  updateConfig?: UpdateSettings;
  rollbackConfig?: UpdateSettings;
  resources: {
    limits?: { nanoCpus?: number; memoryBytes?: number; pids?: number };
    reservations?: {
      nanoCpus?: number;
      memoryBytes?: number;
      genericResources?: { kind: string; value: number }[];
    };
  };
  restartPolicy?: {
    condition?: 'none' | 'on-failure' | 'any';
    delay?: number;
    maxAttempts?: number;
    window?: number;
  };
  placement: { constraints: string[]; preferences: string[]; maxReplicas?: number };
  endpointMode?: 'vip' | 'dnsrr';
}

export interface HealthcheckSettings extends Located {
  test?: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
  disable?: boolean;
}

export interface DeviceEntry {
  pathOnHost: string;
  pathInContainer: string;
  permissions: string;
}

export interface ServiceModel extends Located {
  name: string;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  /** null: a pass-through variable (`- NAME`) that the environment did not set. */
  environment: Map<string, string | null>;
  /** `path` absolute, `display` as written (for messages). */
  envFiles: { path: string; display: string; at: Location }[];
  ports: PortEntry[];
  volumes: VolumeEntry[];
  /** Undefined when the service names no network (then it joins `default`). */
  networks?: Map<string, NetworkAttachment>;
  secrets: FileReferenceEntry[];
  configs: FileReferenceEntry[];
  deploy: DeploySettings;
  healthcheck?: HealthcheckSettings;
  labels: Record<string, string>;
  hostname?: string;
  user?: string;
  workingDir?: string;
  stopGracePeriod?: number;
  stopSignal?: string;
  capAdd: string[];
  capDrop: string[];
  sysctls: Record<string, string>;
  ulimits: Map<string, { soft: number; hard: number }>;
  init?: boolean;
  readOnly?: boolean;
  tty?: boolean;
  stdinOpen?: boolean;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  logging?: { driver?: string; options: Record<string, string> };
  devices: DeviceEntry[];
  privileged?: boolean;
  /** Legacy `restart:`, docker's fallback when deploy.restart_policy is absent. */
  restart?: string;
  restartAt?: Location;
  dependsOn: Map<string, Dependency>;
  /** `extends:`, until the loader has merged the service it names (extends.ts). */
  extends?: ExtendsReference;
}

export interface ExtendsReference {
  service: string;
  /** The file the service is in, as written; absent: the same file. */
  file?: string;
  at: Location;
}

export interface NetworkModel extends Located {
  /** The name the network has in the swarm, if set (`name:` or an external one's name). */
  name?: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  ipam?: { driver?: string; subnets: string[] };
  internal?: boolean;
  attachable?: boolean;
  labels: Record<string, string>;
}

export interface VolumeModel extends Located {
  name?: string;
  external: boolean;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels: Record<string, string>;
}

/** A top-level secret or config. */
export interface FileObjectModel extends Located {
  name?: string;
  external: boolean;
  /** Absolute path of `file:`. */
  file?: string;
  /** `file:` as written, for messages. */
  fileDisplay?: string;
  /** The variable named by `environment:`. */
  environment?: string;
  labels: Record<string, string>;
  driver?: string;
  driverOpts?: Record<string, string>;
  templateDriver?: string;
}

export interface ComposeModel {
  services: Map<string, ServiceModel>;
  networks: Map<string, NetworkModel>;
  volumes: Map<string, VolumeModel>;
  secrets: Map<string, FileObjectModel>;
  configs: Map<string, FileObjectModel>;
  /** Service keys docker's stack deploy ignores with a warning, by name. */
  unsupported: Set<string>;
  /** Deprecated service keys, with docker's explanation. */
  deprecated: Map<string, string>;
  /** Other warnings (an external name that is deprecated, say). */
  warnings: string[];
}
