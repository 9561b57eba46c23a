// The `docker` runtime: each task is one container of the local Docker Engine, found again by
// its com.docker.swarm.task.id label (so a restarted agent adopts what runs), created with the
// options docker-spec.ts derives from the task's ContainerSpec, never restarted by the engine
// (restart policy "no": the agent decides). Status comes from container inspect; watch() keeps
// one events stream (docker-events.ts) while anyone listens; logs are the engine's, demuxed by
// docker-logs.ts. Whether an engine answers on a socket is docker-probe.ts's question.

import type { IncomingMessage } from 'node:http';
import { Agent } from 'node:http';
import { inspect } from 'node:util';
import Dockerode from 'dockerode';
import { EventStream, NODE_ID_LABEL, TASK_ID_LABEL } from './docker-events.ts';
import { FrameParser, TtyLineParser } from './docker-logs.ts';
import { DockerNetworks, dockerNetworkName } from './docker-networks.ts';
import { DEFAULT_DOCKER_SOCKET } from './docker-probe.ts';
import { toCreateOptions } from './docker-spec.ts';
import { type EngineContainerInfo, phaseOf, statusFromInspect } from './docker-status.ts';
import {
  type LogEntry,
  type LogOptions,
  type RunSpec,
  type RuntimeDriver,
  RuntimeError,
  type RuntimeStatus,
} from './driver.ts';
import { errorText, type RuntimeLogger, silentLogger } from './logger.ts';
import { missingStatus, StatusListeners } from './status.ts';
import { formatRfc3339Nano } from './timestamps.ts';

// Where tests and tools have always found them.
export { DEFAULT_DOCKER_SOCKET, probeDocker } from './docker-probe.ts';

/**
 * docker-modem runs util.inspect(options, { showHidden: true, depth: null }) on every request,
 * debug or not, and the options hold the HTTP agent with all its pooled sockets: with a hundred
 * requests in flight that blocked the event loop for seconds (a single manager lost its Raft
 * leadership over it). The agent describes itself in one word instead.
 */
export function cheaplyInspected<T extends object>(agent: T): T {
  Object.defineProperty(agent, inspect.custom, { value: () => '[http.Agent]', enumerable: false });
  return agent;
}

export interface DockerDriverOptions {
  /** The engine's unix socket; default /var/run/docker.sock. */
  socketPath?: string;
  /**
   * This node's ID: when given, the driver sees only containers labelled
   * com.docker.swarm.node.id=<nodeId>, so several nodes sharing one engine (tests, a demo on
   * one machine) never list, adopt or remove each other's tasks.
   */
  nodeId?: string;
  logger?: RuntimeLogger;
  /** Bound of the delay between reconnections of the events stream; default 10 s. */
  eventsReconnectDelayMaxMs?: number;
}

/** How long an image found present is trusted without asking the engine again. */
const IMAGE_SEEN_TTL_MS = 10_000;
const IMAGES_SEEN_MAX = 256;
/** How many containers list() inspects at once. */
const INSPECT_CONCURRENCY = 8;
/** Bytes of pull progress kept when looking for the engine's error line. */
const PULL_LINE_BYTES_MAX = 64 * 1024;

/** The engine's error as Dockerode reports it: HTTP status and the body's message. */
interface EngineError {
  statusCode?: number;
  json?: unknown;
  message?: string;
}

function statusCodeOf(error: unknown): number | undefined {
  return (error as EngineError | null)?.statusCode;
}

/** The engine's own message ("No such image: x") rather than Dockerode's "(HTTP code 404) ...". */
export function engineMessage(error: unknown): string {
  const e = error as EngineError | null;
  let body: unknown = e?.json;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(String(body));
    } catch {
      body = undefined;
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string' && message !== '') return message.trim();
  const text = e?.message ?? String(error);
  // Dockerode's "(HTTP code 500) server error - <the engine's message>".
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

export class DockerDriver implements RuntimeDriver {
  readonly name = 'docker' as const;
  private readonly docker: Dockerode;
  private readonly agent: Agent;
  private readonly logger: RuntimeLogger;
  private readonly listeners: StatusListeners;
  private readonly events: EventStream;
  /** Task ID → container ID, learned from lists and events; checked on every use. */
  private readonly containerIds = new Map<string, string>();
  /** Label filters every container query carries (this node's, when known). */
  private readonly scopeLabels: string[];
  /** Containers whose state an event said changed, inspected one at a time (task ID → ID). */
  private readonly dirty = new Map<string, string>();
  private draining = false;
  /** Images found present lately (image → until when, ms); bounded, short-lived. */
  private readonly imagesSeen = new Map<string, number>();
  /** Image checks (and pulls) in flight, shared by the tasks that wait for them. */
  private readonly preparing = new Map<string, Promise<void>>();
  private closed = false;
  /** The local bridges of the swarm networks tasks join. */
  private readonly networks: DockerNetworks;

  constructor(options: DockerDriverOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.scopeLabels = options.nodeId === undefined ? [] : [`${NODE_ID_LABEL}=${options.nodeId}`];
    // An agent of our own, so close() can drop its idle connections.
    this.agent = cheaplyInspected(new Agent({ keepAlive: true }));
    this.docker = new Dockerode({
      socketPath: options.socketPath ?? DEFAULT_DOCKER_SOCKET,
      agent: this.agent,
    } as Dockerode.DockerOptions);
    this.networks = new DockerNetworks(this.docker);
    this.listeners = new StatusListeners((error) =>
      this.logger.warn(`docker: a watch listener threw: ${errorText(error)}`),
    );
    this.events = new EventStream(this.docker, {
      logger: this.logger,
      labels: this.scopeLabels,
      reconnectDelayMaxMs: options.eventsReconnectDelayMaxMs,
      onEvent: (event) => {
        if (event.action === 'destroy') {
          if (this.containerIds.get(event.taskId) === event.containerId) {
            this.containerIds.delete(event.taskId);
          }
        } else {
          this.containerIds.set(event.taskId, event.containerId);
        }
        this.markDirty(event.taskId, event.containerId);
      },
      onConnected: () => void this.reconcile(),
    });
  }

  async prepare(spec: RunSpec, signal?: AbortSignal): Promise<void> {
    await Promise.all((spec.networks ?? []).map((network) => this.networks.ensure(network)));
    const image = spec.container.Image;
    // Many tasks of one service prepare at once: one look at the engine (or one pull) serves
    // them all.
    const seen = this.imagesSeen.get(image);
    if (seen !== undefined && seen > Date.now()) return;
    const pending = this.preparing.get(image);
    if (pending !== undefined) return pending;
    const preparing = this.prepareImage(image, signal).finally(() => this.preparing.delete(image));
    this.preparing.set(image, preparing);
    return preparing;
  }

  private async prepareImage(image: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
      this.rememberImage(image);
      return;
    } catch (error) {
      const code = statusCodeOf(error);
      // 400: not a valid reference, which no pull can fix.
      if (code === 400) throw pullError(image, engineMessage(error), code);
      if (code !== 404) throw this.requestError(`inspecting image ${image}`, error);
    }
    await this.pull(image, signal);
    this.rememberImage(image);
  }

  async start(spec: RunSpec): Promise<RuntimeStatus> {
    this.assertOpen();
    // A task's container is named after it, so a create that meets an existing one (after an
    // agent restart) adopts it: no listing by label on the way of every new task.
    const known = this.containerIds.get(spec.taskId);
    let info = known === undefined ? undefined : await this.inspectContainer(known);
    if (info === undefined) {
      const { id, adopted } = await this.create(spec);
      if (!adopted) {
        await this.startContainer(spec, id);
        const started = await this.inspectContainer(id);
        if (started === undefined) throw new RuntimeError(`container ${id} vanished after start`);
        return statusFromInspect(spec.taskId, started);
      }
      info = await this.inspectContainer(id);
      if (info === undefined) throw new RuntimeError(`container ${id} vanished after create`);
    }
    // An existing container that already ran is reported as it is, never run twice.
    if (phaseOf(info.State.Status) === 'created') {
      await this.startContainer(spec, info.Id);
      info = (await this.inspectContainer(info.Id)) ?? info;
    }
    return statusFromInspect(spec.taskId, info);
  }

  async inspect(taskId: string): Promise<RuntimeStatus> {
    const info = await this.inspectTask(taskId);
    return info === undefined ? missingStatus(taskId) : statusFromInspect(taskId, info);
  }

  watch(listener: (status: RuntimeStatus) => void): () => void {
    this.assertOpen();
    const unsubscribe = this.listeners.add(listener);
    this.events.start();
    return () => {
      unsubscribe();
      if (this.listeners.size === 0) this.events.stop();
    };
  }

  async stop(taskId: string, graceMs: number): Promise<void> {
    this.assertOpen();
    const info = await this.inspectTask(taskId);
    if (info === undefined || phaseOf(info.State.Status) !== 'running') return;
    const seconds = Math.max(0, Math.ceil(graceMs / 1000));
    try {
      // The engine sends the container's StopSignal, then SIGKILL after `t`, and answers once
      // the container has stopped.
      await this.docker.getContainer(info.Id).stop({ t: seconds });
    } catch (error) {
      const code = statusCodeOf(error);
      if (code === 304 || code === 404) return;
      throw this.requestError(`stopping task ${taskId}`, error);
    }
  }

  async remove(taskId: string): Promise<void> {
    this.assertOpen();
    const info = await this.inspectTask(taskId);
    this.listeners.forget(taskId);
    if (info === undefined) return;
    try {
      await this.docker.getContainer(info.Id).remove({ force: true, v: true });
    } catch (error) {
      const code = statusCodeOf(error);
      // 409: a removal already in progress.
      if (code !== 404 && code !== 409) throw this.requestError(`removing task ${taskId}`, error);
    }
    this.containerIds.delete(taskId);
  }

  async list(): Promise<RuntimeStatus[]> {
    const summaries = await this.listTaskContainers();
    // Newest first: a task with two containers (which the agent never makes) maps to the newest.
    for (const s of [...summaries].reverse()) this.containerIds.set(s.taskId, s.id);
    const statuses: RuntimeStatus[] = [];
    for (let i = 0; i < summaries.length; i += INSPECT_CONCURRENCY) {
      const batch = summaries.slice(i, i + INSPECT_CONCURRENCY);
      const infos = await Promise.all(batch.map((s) => this.inspectContainer(s.id)));
      infos.forEach((info, j) => {
        if (info !== undefined) statuses.push(statusFromInspect(batch[j]!.taskId, info));
      });
    }
    return statuses;
  }

  async *logs(taskId: string, options: LogOptions): AsyncIterable<LogEntry> {
    const info = await this.inspectTask(taskId);
    if (info === undefined) throw new RuntimeError(`no such task: ${taskId}`, false);
    const query: Record<string, string | boolean> = {
      stdout: true,
      stderr: true,
      timestamps: true,
      follow: options.follow === true,
      tail: options.tail === undefined ? 'all' : String(Math.max(0, Math.floor(options.tail))),
    };
    if (options.since !== undefined) query.since = options.since.toFixed(9);
    const stream = await this.dialStream(
      `/containers/${info.Id}/logs?`,
      'GET',
      query,
      options.signal,
    );
    const parser = info.Config?.Tty ? new TtyLineParser() : new FrameParser();
    let lastTime = formatRfc3339Nano();
    const withTime = (entry: LogEntry): LogEntry => {
      if (entry.time === '') entry.time = lastTime;
      else lastTime = entry.time;
      return entry;
    };
    try {
      for await (const chunk of stream) {
        for (const entry of parser.push(chunk as Buffer)) yield withTime(entry);
      }
      if (parser instanceof TtyLineParser)
        for (const entry of parser.flush()) yield withTime(entry);
    } catch (error) {
      if (options.signal?.aborted) return;
      throw this.requestError(`reading the logs of task ${taskId}`, error);
    } finally {
      stream.destroy();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.stop();
    this.listeners.clear();
    this.dirty.clear();
    this.agent.destroy();
  }

  // --- containers -------------------------------------------------------------------------

  private rememberImage(image: string): void {
    if (this.imagesSeen.size >= IMAGES_SEEN_MAX) this.imagesSeen.clear();
    this.imagesSeen.set(image, Date.now() + IMAGE_SEEN_TTL_MS);
  }

  private async create(spec: RunSpec): Promise<{ id: string; adopted: boolean }> {
    const options = toCreateOptions(spec);
    try {
      const container = await this.docker.createContainer(
        options as unknown as Dockerode.ContainerCreateOptions,
      );
      this.containerIds.set(spec.taskId, container.id);
      await this.connectNetworks(spec, container.id);
      return { id: container.id, adopted: false };
    } catch (error) {
      const code = statusCodeOf(error);
      if (code === 409) return { id: await this.adoptByName(spec), adopted: true };
      if (code === 404) {
        throw new RuntimeError(`No such image: ${spec.container.Image}`);
      }
      throw new RuntimeError(
        `creating container for task ${spec.taskId}: ${engineMessage(error)}`,
        code === undefined || code >= 500,
      );
    }
  }

  /** The node's last task on a swarm network went: its bridge goes too (if no container uses it). */
  releaseNetwork(networkId: string): Promise<void> {
    return this.networks.release(networkId);
  }

  /** Addresses this engine's containers hold on a swarm network (the mesh never claims them). */
  networkAddresses(networkId: string): Promise<Set<string>> {
    return this.networks.addresses(networkId);
  }

  /** The task's swarm networks after the first (create takes one), before it starts. */
  private async connectNetworks(spec: RunSpec, id: string): Promise<void> {
    for (const network of (spec.networks ?? []).slice(1)) {
      try {
        await this.networks.ensure(network);
        await this.docker.getNetwork(dockerNetworkName(network)).connect({
          Container: id,
          EndpointConfig: { IPAMConfig: { IPv4Address: network.address } },
        });
      } catch (error) {
        throw new RuntimeError(
          `connecting task ${spec.taskId} to network ${network.name}: ${engineMessage(error)}`,
        );
      }
    }
  }

  /** A create that met a container of the same name: ours (a racing start) or a stranger. */
  private async adoptByName(spec: RunSpec): Promise<string> {
    const info = await this.inspectContainer(spec.name);
    if (info !== undefined && info.Config?.Labels?.[TASK_ID_LABEL] === spec.taskId) {
      this.containerIds.set(spec.taskId, info.Id);
      return info.Id;
    }
    throw new RuntimeError(
      `container name ${spec.name} is in use by a container that is not task ${spec.taskId}`,
      false,
    );
  }

  private async startContainer(spec: RunSpec, id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      const code = statusCodeOf(error);
      if (code === 304) return; // already started
      throw new RuntimeError(
        `starting container for task ${spec.taskId}: ${engineMessage(error)}`,
        code === undefined || code >= 500,
      );
    }
  }

  /** The task's container, inspected; undefined when it has none. */
  private async inspectTask(taskId: string): Promise<EngineContainerInfo | undefined> {
    const cached = this.containerIds.get(taskId);
    if (cached !== undefined) {
      const info = await this.inspectContainer(cached);
      if (info !== undefined) return info;
      this.containerIds.delete(taskId);
    }
    const found = (await this.listTaskContainers(taskId))[0];
    if (found === undefined) return undefined;
    this.containerIds.set(taskId, found.id);
    return this.inspectContainer(found.id);
  }

  private async inspectContainer(idOrName: string): Promise<EngineContainerInfo | undefined> {
    try {
      return (await this.docker.getContainer(idOrName).inspect()) as EngineContainerInfo;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw this.requestError(`inspecting container ${idOrName}`, error);
    }
  }

  /** Containers with a task ID label (that task's only, when given), newest first. */
  private async listTaskContainers(taskId?: string): Promise<{ id: string; taskId: string }[]> {
    const label = taskId === undefined ? TASK_ID_LABEL : `${TASK_ID_LABEL}=${taskId}`;
    let summaries: Dockerode.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({
        all: true,
        // Several label filters: containers that carry all of them.
        filters: JSON.stringify({ label: [label, ...this.scopeLabels] }),
      });
    } catch (error) {
      throw this.requestError('listing containers', error);
    }
    return summaries
      .sort((a, b) => b.Created - a.Created)
      .map((s) => ({ id: s.Id, taskId: s.Labels[TASK_ID_LABEL] ?? '' }))
      .filter((s) => s.taskId !== '');
  }

  // --- images -----------------------------------------------------------------------------

  private async pull(image: string, signal?: AbortSignal): Promise<void> {
    let stream: IncomingMessage;
    try {
      stream = (await this.docker.pull(image, { abortSignal: signal })) as IncomingMessage;
    } catch (error) {
      throw pullError(image, engineMessage(error), statusCodeOf(error));
    }
    // The engine answers 200 and reports failures as a progress line with "error".
    let pending = '';
    let failure: string | undefined;
    try {
      for await (const chunk of stream) {
        pending += (chunk as Buffer).toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          failure ??= progressError(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
        if (pending.length > PULL_LINE_BYTES_MAX) pending = '';
      }
      failure ??= progressError(pending);
    } catch (error) {
      if (signal?.aborted) throw new RuntimeError(`pulling ${image}: aborted`);
      throw pullError(image, engineMessage(error), undefined);
    } finally {
      stream.destroy();
    }
    if (failure !== undefined) throw pullError(image, failure, undefined);
  }

  // --- events -----------------------------------------------------------------------------

  private markDirty(taskId: string, containerId: string): void {
    this.dirty.set(taskId, containerId);
    if (!this.draining) void this.drainDirty();
  }

  /** Inspects the containers events named, one at a time; bursts of events coalesce. */
  private async drainDirty(): Promise<void> {
    this.draining = true;
    try {
      for (;;) {
        const next = this.dirty.entries().next();
        if (next.done || this.closed) return;
        const [taskId, containerId] = next.value;
        this.dirty.delete(taskId);
        try {
          const info = await this.inspectContainer(containerId);
          const status =
            info === undefined ? missingStatus(taskId) : statusFromInspect(taskId, info);
          if (!this.closed) this.listeners.emit(status);
        } catch (error) {
          this.logger.warn(
            `docker: inspecting the container of task ${taskId} after an event: ${errorText(error)}`,
          );
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** After (re)connecting the events stream: report whatever changed while it was down. */
  private async reconcile(): Promise<void> {
    try {
      for (const status of await this.list()) {
        if (this.closed) return;
        this.listeners.emit(status);
      }
    } catch (error) {
      this.logger.warn(`docker: listing task containers after connecting: ${errorText(error)}`);
    }
  }

  // --- helpers ----------------------------------------------------------------------------

  private dialStream(
    path: string,
    method: string,
    options: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(
        {
          path,
          method,
          options,
          abortSignal: signal,
          isStream: true,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        } as never,
        (error: unknown, stream: unknown) => {
          if (error) reject(this.requestError(`GET ${path}`, error));
          else resolve(stream as IncomingMessage);
        },
      );
    });
  }

  private requestError(what: string, error: unknown): RuntimeError {
    if (error instanceof RuntimeError) return error;
    const wrapped = new RuntimeError(`${what}: ${engineMessage(error)}`);
    wrapped.cause = error;
    return wrapped;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('DockerDriver is closed');
  }
}

/** The error of one pull progress line ({"error": ...}), if it is one. */
function progressError(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
    const message = parsed.errorDetail?.message ?? parsed.error;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/** A failed pull as the task's error; an image the registry does not have is "No such image". */
export function pullError(image: string, message: string, statusCode?: number): RuntimeError {
  if (/invalid reference format/i.test(message)) {
    return new RuntimeError(`invalid image reference ${image}: ${message}`, false);
  }
  if (statusCode === 404 || /not found|manifest unknown|pull access denied/i.test(message)) {
    return new RuntimeError(`No such image: ${image} (${message})`);
  }
  return new RuntimeError(`pulling ${image}: ${message}`);
}
