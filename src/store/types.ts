// The objects the managers replicate, shaped like the Docker Engine API (v1.41) swarm objects so
// the API layer can serve them with little translation. Field names keep Docker's PascalCase.
// Everything is plain JSON data: no Dates, no undefined inside arrays, no bigints; timestamps
// are RFC 3339 strings (Docker's format), durations are integers in nanoseconds like Docker's.
// Specs are typed where the orchestrator, scheduler and indexes read them, loosely elsewhere.

export interface Version {
  Index: number;
}

/** Common to every stored object. The store assigns Version, CreatedAt and UpdatedAt. */
export interface Meta {
  ID: string;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
}

export type Labels = Record<string, string>;

/** Docker's TLSInfo: PEM trust root and the issuer's subject and public key, base64 DER. */
export interface TLSInfo {
  TrustRoot: string;
  CertIssuerSubject: string;
  CertIssuerPublicKey: string;
}

// ---------------------------------------------------------------------------------- cluster

export interface ClusterSpec {
  /** Always 'default' in swarm. */
  Name: string;
  Labels: Labels;
  Orchestration: { TaskHistoryRetentionLimit: number };
  Raft: {
    SnapshotInterval: number;
    KeepOldSnapshots: number;
    LogEntriesForSlowFollowers: number;
    ElectionTick: number;
    HeartbeatTick: number;
  };
  Dispatcher: { HeartbeatPeriod: number };
  CAConfig: {
    NodeCertExpiry: number;
    /** Incremented to rotate the root CA to a fresh one (`swarm ca --rotate`). */
    ForceRotate?: number;
    /** A root to rotate to (PEM): accepted by the API, never stored in the spec. */
    SigningCACert?: string;
    /** Its key (PEM): accepted by the API, never stored in the spec. */
    SigningCAKey?: string;
  };
  TaskDefaults: { LogDriver?: { Name: string; Options?: Record<string, string> } };
  EncryptionConfig: { AutoLockManagers: boolean };
}

/**
 * What Shoal needs in the replicated cluster object that Docker never shows. The API layer must
 * strip `Internal` before answering `GET /swarm` or `GET /info`.
 */
export interface ClusterInternal {
  /** The root CA's private key, PEM. To be wrapped with the cluster's data key (autolock). */
  rootCaKeyPem: string;
  /** Node ID → Raft member id (src/raft NodeId), for every manager that joined the Raft group. */
  raftIds: Record<string, number>;
  /** The key that unlocks managers when autolock is on (SWMKEY-1-...); new managers get it here. */
  unlockKey?: string;
  /**
   * A root CA rotation under way (Docker shows RootRotationInProgress): the new root, its key
   * and its certificate cross-signed by the current root. Ends when every node holds a
   * certificate from the new root; the new root then replaces TLSInfo.TrustRoot.
   */
  rootRotation?: { caCertPem: string; caKeyPem: string; crossSignedPem: string };
}

/** Docker's Swarm object (ClusterInfo plus JoinTokens), with Shoal's internal part. */
export interface Cluster extends Meta {
  Spec: ClusterSpec;
  TLSInfo: TLSInfo;
  RootRotationInProgress: boolean;
  DataPathPort: number;
  DefaultAddrPool: string[];
  SubnetSize: number;
  JoinTokens: { Worker: string; Manager: string };
  Internal: ClusterInternal;
}

// ------------------------------------------------------------------------------------ nodes

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export interface NodeSpec {
  Name?: string;
  Labels: Labels;
  Role: NodeRole;
  Availability: NodeAvailability;
}

/** Docker's GenericResource: a named count ('gpu=2') or a named set ('gpu=uuid1'). */
export interface GenericResource {
  NamedResourceSpec?: { Kind: string; Value: string };
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

/** The task runtimes a node offers, as Engine.Plugins entries of Type 'Runtime'. */
export type RuntimeName = 'docker' | 'exec';

export interface NodeDescription {
  /** Indexed (case-insensitively) as the node's name; not unique, as in Docker. */
  Hostname: string;
  Platform: { Architecture: string; OS: string };
  Resources: { NanoCPUs: number; MemoryBytes: number; GenericResources?: GenericResource[] };
  Engine: {
    EngineVersion: string;
    Labels: Labels;
    /** Docker's plugin list; Shoal lists its runtimes as { Type: 'Runtime', Name }. */
    Plugins?: { Type: string; Name: string }[];
  };
  TLSInfo?: TLSInfo;
}

export interface Node extends Meta {
  Spec: NodeSpec;
  Description: NodeDescription;
  Status: {
    State: NodeState;
    Message?: string;
    Addr: string;
    /** Shoal: published ports this node could not open (absent when none). */
    PortConflicts?: PortConflict[];
  };
  ManagerStatus?: { Leader?: boolean; Reachability: Reachability; Addr: string };
}

/** A published port a node could not open for a service (a Shoal extension). */
export interface PortConflict {
  ServiceID: string;
  Protocol: 'tcp' | 'udp';
  PublishedPort: number;
  Message: string;
}

// -------------------------------------------------------------------------- services, tasks

/** Task states in swarm's order; a task's Status.State and DesiredState only move forward. */
export const TASK_STATES = [
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface PortConfig {
  Name?: string;
  Protocol: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
  /**
   * Shoal extension (moby#25526): the routing mesh sends a PROXY protocol v2 header to the
   * task first, so it sees the client's address.
   */
  ProxyProtocol?: 'v2';
}

/** Docker's Mount (API 1.41). */
export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Labels;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Docker's HealthConfig: durations in nanoseconds; Test[0] is NONE, CMD or CMD-SHELL. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

/** A file a secret or config is mounted as (Docker's SecretReference/ConfigReference). */
export interface FileReference {
  File?: { Name: string; UID: string; GID: string; Mode: number };
  Runtime?: Record<string, never>;
  SecretID?: string;
  SecretName?: string;
  ConfigID?: string;
  ConfigName?: string;
}

/**
 * Docker's ContainerSpec (API 1.41) plus two Shoal extensions users asked swarm for:
 * `Devices` (moby#24865, HostConfig's shape) and an opt-in `Privileged` (moby#24862).
 * An Image of the form `exec:PROGRAM` selects the exec runtime (a supervised host process).
 */
export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Init?: boolean;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  /** Nanoseconds. Default 10 s. */
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: FileReference[];
  Configs?: FileReference[];
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  /** Shoal extension (moby#24865). */
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  /** Shoal extension (moby#24862): off unless asked for. */
  Privileged?: boolean;
  [key: string]: unknown;
}

/** How the scheduler picks among the nodes that pass the filters (Shoal extension). */
export type PlacementStrategy = 'spread' | 'binpack' | 'random';

/** Docker's TaskSpec; the parts the scheduler reads are typed, the rest passes through. */
export interface TaskSpec {
  ContainerSpec?: ContainerSpec;
  Resources?: {
    Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
    Reservations?: {
      NanoCPUs?: number;
      MemoryBytes?: number;
      GenericResources?: GenericResource[];
    };
  };
  RestartPolicy?: {
    Condition?: 'none' | 'on-failure' | 'any';
    Delay?: number;
    MaxAttempts?: number;
    Window?: number;
  };
  Placement?: {
    Constraints?: string[];
    Preferences?: { Spread: { SpreadDescriptor: string } }[];
    MaxReplicas?: number;
    Platforms?: { Architecture?: string; OS?: string }[];
    /** Shoal extension; default 'spread'. */
    Strategy?: PlacementStrategy;
  };
  Networks?: { Target: string; Aliases?: string[] }[];
  ForceUpdate?: number;
  [key: string]: unknown;
}

export interface ServiceMode {
  Replicated?: { Replicas: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent: number; TotalCompletions: number };
  GlobalJob?: Record<string, never>;
}

/** Docker's UpdateConfig (also the RollbackConfig); durations in nanoseconds. */
export interface UpdateConfig {
  /** Tasks updated at once; 0 means all at once. Default 1. */
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'pause' | 'continue' | 'rollback';
  /** Default 5 s. */
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface ServiceSpec {
  /** Unique among services, case-insensitively. */
  Name: string;
  Labels: Labels;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: { Mode?: 'vip' | 'dnsrr'; Ports?: PortConfig[] };
  [key: string]: unknown;
}

export interface Service extends Meta {
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: {
    Spec?: { Mode?: 'vip' | 'dnsrr'; Ports?: PortConfig[] };
    Ports?: PortConfig[];
    VirtualIPs?: { NetworkID: string; Addr: string }[];
  };
  UpdateStatus?: {
    State:
      | 'updating'
      | 'paused'
      | 'completed'
      | 'rollback_started'
      | 'rollback_paused'
      | 'rollback_completed';
    StartedAt?: string;
    CompletedAt?: string;
    Message?: string;
  };
  JobStatus?: { JobIteration: Version; LastExecution?: string };
  /** Swarmkit's spec version (not shown by Docker): tasks compare it for `_up-to-date`. */
  SpecVersion?: Version;
}

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  PortStatus?: { Ports?: PortConfig[] };
  /**
   * Shoal's: the ports the task's container exposes ("80/tcp"), from its image; the mesh
   * serves them on the service's virtual IP and task addresses.
   */
  ExposedPorts?: string[];
}

export interface Task extends Meta {
  Name?: string;
  Labels: Labels;
  Spec: TaskSpec;
  /** Indexed. */
  ServiceID: string;
  /** Replicated services number their tasks 1..N; global tasks have none (one per node). */
  Slot?: number;
  /** Indexed; absent until the scheduler assigns the task. */
  NodeID?: string;
  Status: TaskStatus;
  /** Indexed. */
  DesiredState: TaskState;
  /** Set by the allocator before the task leaves NEW: its address on each of its networks. */
  NetworksAttachments?: NetworkAttachment[];
  /** The service's endpoint when the task was made (swarmkit's field): its ports. */
  Endpoint?: { Spec?: { Mode?: 'vip' | 'dnsrr'; Ports?: PortConfig[] }; Ports?: PortConfig[] };
  JobIteration?: Version;
  /** The service's SpecVersion the task was made from (swarmkit's field, not Docker's). */
  SpecVersion?: Version;
  /** The service's name and labels when the task was made (swarmkit's ServiceAnnotations). */
  ServiceAnnotations?: { Name: string; Labels: Labels };
  /**
   * Shoal's: when earlier tasks of this slot (or node, for global services) failed within the
   * restart window (RFC 3339), so MaxAttempts holds across replacements and leader changes.
   */
  RestartHistory?: string[];
}

// ----------------------------------------------------------------- networks, secrets, configs

/** One address range of a network (Docker's swarm IPAMConfig). */
export interface IPAMConfig {
  Subnet?: string;
  /** Addresses are handed out from here (the whole subnet when absent). */
  Range?: string;
  Gateway?: string;
}

export interface IPAMOptions {
  Driver?: { Name: string; Options?: Record<string, string> };
  Configs?: IPAMConfig[];
}

/** Docker's swarm NetworkSpec. Names are unique, case-insensitively. */
export interface NetworkSpec {
  Name: string;
  Labels: Labels;
  DriverConfiguration?: { Name: string; Options?: Record<string, string> };
  IPv6Enabled?: boolean;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  /** As the user asked (a subnet, range, gateway), or absent to let the allocator choose. */
  IPAMOptions?: IPAMOptions;
  Scope?: string;
}

/**
 * Docker's swarm Network: the spec, plus what the allocator decided when the network was
 * created (DriverState with its VXLAN id, IPAMOptions with its subnet and gateway).
 */
export interface Network extends Meta {
  Spec: NetworkSpec;
  DriverState?: { Name: string; Options?: Record<string, string> };
  IPAMOptions?: IPAMOptions;
  /**
   * Shoal's, never shown: where the allocator's next address search starts, so an address
   * just released is not handed out again at once (serial allocation, as Docker's IPAM).
   */
  NextAddress?: string;
}

/** A task's place on one network (Docker's NetworkAttachment). */
export interface NetworkAttachment {
  /** The network as Docker shows it (without Shoal's NextAddress). */
  Network: Omit<Network, 'NextAddress'>;
  /** 'a.b.c.d/prefix'. */
  Addresses: string[];
}

export interface Secret extends Meta {
  /** Data is base64; Docker never returns it, so the API layer must drop it from answers. */
  Spec: { Name: string; Labels: Labels; Data?: string; Driver?: Record<string, unknown> };
}

export interface Config extends Meta {
  Spec: { Name: string; Labels: Labels; Data: string; Templating?: Record<string, unknown> };
}

// ------------------------------------------------------------------------------------ tables

export interface TableObjects {
  cluster: Cluster;
  nodes: Node;
  services: Service;
  tasks: Task;
  networks: Network;
  secrets: Secret;
  configs: Config;
}
export type TableName = keyof TableObjects;
export type StoredObject = TableObjects[TableName];

/** Every table, in the fixed order snapshots use. */
export const TABLE_NAMES: readonly TableName[] = [
  'cluster',
  'nodes',
  'services',
  'tasks',
  'networks',
  'secrets',
  'configs',
];
