// The one interface every task runtime implements (docker, exec), and what the agent's worker
// hands it. A driver is I/O at the edge: it runs what it is told and reports what it sees; the
// decisions (when to start, stop, restart, what state the task is in) are the agent's.
//
// Every method is idempotent per task ID: starting a task that already runs adopts it, stopping
// a stopped one is a no-op, removing a missing one is a no-op. After an agent restart, `list()`
// finds the tasks a driver still runs (containers by their com.docker.swarm.task.id label,
// processes by their state files), so nothing is started twice.
import type { ContainerSpec, Labels, RuntimeName, TaskSpec } from '../store/index.ts';

/** Everything a driver needs to run one task. */
export interface RunSpec {
  taskId: string;
  /** `<service>.<slot>.<taskid>` (replicated) or `<service>.<nodeid>.<taskid>` (global). */
  name: string;
  serviceId: string;
  serviceName: string;
  /** Replicated services' slot; absent for global ones. */
  slot?: number;
  nodeId: string;
  container: ContainerSpec;
  resources?: TaskSpec['Resources'];
  /**
   * The labels the runtime object carries: the ContainerSpec's labels plus swarm's
   * (com.docker.swarm.service.id/name, task.id/name, node.id; com.docker.stack.namespace when
   * in a stack). Drivers find their tasks again by `com.docker.swarm.task.id`.
   */
  labels: Labels;
  /** Extra environment (e.g. the exec runtime's assigned port); appended to container.Env. */
  env?: string[];
  /**
   * Host-mode published ports: the docker runtime binds them on this node; an exec task is
   * told the published port in its environment and binds it itself.
   */
  hostPorts?: { target: number; published: number; protocol: 'tcp' | 'udp' | 'sctp' }[];
  /** The swarm networks the task joins (a container gets its address on each). */
  networks?: TaskNetwork[];
  /** The task's secret and config files, materialised by the agent; absent when it has none. */
  files?: TaskFiles;
}

/**
 * A secret or config file of a task, already written by the agent in its memory-backed
 * directory (never on disk). Drivers only point the task at it: docker bind-mounts `source` at
 * `target` read-only; exec hands the task the directory that holds it.
 */
export interface TaskFile {
  kind: 'secret' | 'config';
  /** Absolute host path of the file. */
  source: string;
  /** Absolute path the task sees it at in a container: /run/secrets/<name>, a config's target. */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

/**
 * Where a task's files are: `secretsDir` holds the secrets by their reference target (relative
 * to /run/secrets, or an absolute target without its leading '/'), `configsDir` the configs by
 * their target the same way. The exec runtime names the two directories in the task's
 * environment as SHOAL_SECRETS_DIR and SHOAL_CONFIGS_DIR.
 */
export interface TaskFiles {
  secretsDir: string;
  configsDir: string;
  entries: TaskFile[];
}

/**
 * A swarm network on this node: the docker runtime makes it a local bridge with the network's
 * subnet and gateway (the mesh serves DNS and virtual IPs on that bridge).
 */
export interface TaskNetwork {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
  /** The task's address on it, without prefix length. */
  address: string;
  internal?: boolean;
}

/** What a driver knows about a task it runs (or ran). */
export type RuntimePhase = 'created' | 'running' | 'exited' | 'missing';
export type Health = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface RuntimeStatus {
  taskId: string;
  phase: RuntimePhase;
  /** Container ID (docker) or a driver-specific handle (exec: the process's state id). */
  runtimeId?: string;
  pid?: number;
  /** Set once exited. */
  exitCode?: number;
  /** 'none' when the spec has no healthcheck (or NONE). */
  health: Health;
  /** RFC 3339. */
  startedAt?: string;
  finishedAt?: string;
  /** Where the task's ports answer (a container's address on its network); exec: none. */
  address?: string;
  /** Ports the container exposes (its image's and its own), as "80/tcp". */
  exposedPorts?: string[];
  /** Why it could not run or why it exited abnormally (OOM, start failure), for the task's Err. */
  error?: string;
}

/** A log line as the agent forwards it: one stream, one timestamp, the raw bytes (with '\n'). */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds where the runtime has them. */
  time: string;
  line: Buffer;
}

export interface LogOptions {
  follow?: boolean;
  /** Last N lines; undefined: all. */
  tail?: number;
  /** Unix seconds (fractional allowed); entries before it are skipped. */
  since?: number;
  signal?: AbortSignal;
}

/** A failure the task should carry as its Err ("No such image: busybox:missing", ...). */
export class RuntimeError extends Error {
  constructor(
    message: string,
    /** False when retrying the same spec cannot help (bad image reference, bad mount). */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface RuntimeDriver {
  readonly name: RuntimeName;

  /**
   * Makes what start needs present: the image (pulled if missing; a failed pull is a
   * RuntimeError naming the image), the executable for exec. May take long; honours `signal`.
   */
  prepare(spec: RunSpec, signal?: AbortSignal): Promise<void>;

  /** Creates and starts the task (adopts it when it already exists); resolves once started. */
  start(spec: RunSpec): Promise<RuntimeStatus>;

  /** The task's status now; phase 'missing' when the driver has no such task. */
  inspect(taskId: string): Promise<RuntimeStatus>;

  /**
   * Calls `listener` whenever a task's phase or health changes (exit, health transitions), with
   * the new status. Returns the function that stops the calls.
   */
  watch(listener: (status: RuntimeStatus) => void): () => void;

  /**
   * Stops the task: the spec's stop signal (default SIGTERM), then SIGKILL once `graceMs`
   * passed. Resolves when it is no longer running.
   */
  stop(taskId: string, graceMs: number): Promise<void>;

  /** Removes whatever the task left (container, state and log files). */
  remove(taskId: string): Promise<void>;

  /** The tasks this driver has on this node (running or not), for adoption after a restart. */
  list(): Promise<RuntimeStatus[]>;

  /** The task's output, oldest first; with `follow`, keeps going until the task ends or abort. */
  logs(taskId: string, options: LogOptions): AsyncIterable<LogEntry>;

  /** Removes what the runtime made for a swarm network once no task of the node uses it. */
  releaseNetwork?(networkId: string): Promise<void>;

  /** Releases watchers and connections. Running tasks keep running. */
  close(): Promise<void>;
}

/** The runtime an image reference selects: `exec:PROGRAM` runs a host process. */
export function runtimeOf(container: Pick<ContainerSpec, 'Image'>): RuntimeName {
  return container.Image.startsWith(EXEC_IMAGE_PREFIX) ? 'exec' : 'docker';
}

export const EXEC_IMAGE_PREFIX = 'exec:';
