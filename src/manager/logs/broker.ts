// The log broker on the leader: connects a log request (from this manager's API, or another
// manager's through Logs.Subscribe) with the nodes that ran the tasks.
//
// A request becomes a subscription: the tasks it names are grouped by node, each node is sent
// its part on its agent session, and the agents publish lines back (Logs.Publish). Without
// follow, lines are gathered until every node is done (or silent for NODE_TIMEOUT_MS) and
// delivered in time order, so a service's logs from several nodes read as one history; with
// follow they are delivered as they come. Nodes that are down or not connected are named in
// warnings. Bounded: lines buffered per subscription, subscriptions at once.
import * as grpc from '@grpc/grpc-js';
import { clusterServiceDefinition } from '../../rpc/index.ts';
import type { Task } from '../../store/index.ts';
import type { ClusterState } from '../cluster-state.ts';
import {
  encodeJson,
  type LogSubscription,
  type LogsQuery,
  MAX_TASKS_PER_SUBSCRIPTION,
  parseLogsQuery,
  type WireLogBatch,
  type WireLogLine,
  type WirePublishRequest,
} from './protocol.ts';

const NODE_TIMEOUT_MS = 15_000;
const MAX_SUBSCRIPTIONS = 256;
const MAX_BUFFERED_LINES = 200_000;
const MAX_QUEUED_BATCHES = 1024;

export interface LogBrokerOptions {
  state: ClusterState;
  /** Sends subscription messages to a node's session; false when it has none here. */
  send: (nodeId: string, message: Uint8Array) => boolean;
  /** The caller's node ID if it holds a certificate of an allowed role, else throws. */
  identify: (call: unknown, roles: readonly ('manager' | 'worker')[]) => string;
  newId: () => string;
}

/** Tasks that have run (or tried to): those whose node may hold logs. */
function hasLogs(task: Task): boolean {
  return (
    task.NodeID !== undefined &&
    !['new', 'pending', 'assigned', 'accepted'].includes(task.Status.State)
  );
}

/** An open subscription, read as an async iterable of batches. */
export class LogSubscriptionStream implements AsyncIterable<WireLogBatch> {
  private readonly queue: WireLogBatch[] = [];
  private buffered: WireLogLine[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly pending = new Set<string>();
  readonly nodes = new Map<string, string[]>();
  readonly warnings: string[] = [];
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    readonly query: LogsQuery,
    private readonly onClose: (stream: LogSubscriptionStream) => void,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  lines(nodeId: string, lines: WireLogLine[]): void {
    if (this.ended || !this.nodes.has(nodeId)) return;
    const allowed = new Set(this.nodes.get(nodeId));
    const accepted = lines
      .filter((line) => allowed.has(line.taskId))
      .map((line) => ({ ...line, nodeId }));
    if (this.query.follow) {
      if (this.queue.length >= MAX_QUEUED_BATCHES) {
        this.fail('the log reader is too slow; stopped following');
        return;
      }
      this.push({ lines: accepted, warnings: [] });
    } else {
      this.buffered.push(...accepted);
      if (this.buffered.length > MAX_BUFFERED_LINES) this.flushSorted();
    }
  }

  nodeDone(nodeId: string, error?: string): void {
    if (!this.pending.delete(nodeId)) return;
    if (error) this.warn(`node ${nodeId}: ${error}`);
    if (this.pending.size === 0 && !this.query.follow) this.finish();
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Ends the subscription (the reader left, or everything was delivered). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.onClose(this);
    this.wake();
  }

  finish(): void {
    this.flushSorted();
    if (this.warnings.length > 0) this.push({ lines: [], warnings: [...this.warnings] });
    this.close();
  }

  private fail(message: string): void {
    this.warn(message);
    this.push({ lines: [], warnings: [...this.warnings] });
    this.close();
  }

  private flushSorted(): void {
    if (this.buffered.length === 0) return;
    const lines = this.buffered.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    this.buffered = [];
    for (let start = 0; start < lines.length; start += 256) {
      this.push({ lines: lines.slice(start, start + 256), warnings: [] });
    }
  }

  private push(batch: WireLogBatch): void {
    this.queue.push(batch);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WireLogBatch> {
    try {
      for (;;) {
        const batch = this.queue.shift();
        if (batch !== undefined) {
          yield batch;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
        });
      }
    } finally {
      this.close();
    }
  }
}

export class LogBroker {
  private readonly subscriptions = new Map<string, LogSubscriptionStream>();

  constructor(private readonly options: LogBrokerOptions) {}

  attach(server: grpc.Server): void {
    server.addService(clusterServiceDefinition('Logs'), {
      Subscribe: (call: grpc.ServerWritableStream<{ query: Uint8Array }, WireLogBatch>) =>
        void this.serveSubscribe(call),
      Publish: (
        call: grpc.ServerReadableStream<WirePublishRequest, object>,
        callback: grpc.sendUnaryData<object>,
      ) => this.servePublish(call, callback),
    });
  }

  /** Opens a subscription on this manager, which must lead. */
  open(query: LogsQuery): LogSubscriptionStream {
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw Object.assign(new Error('too many log streams are open; try again later'), {
        code: 'unavailable',
      });
    }
    const store = this.options.state.store;
    const tasks = new Map<string, Task>();
    for (const serviceId of query.services) {
      for (const task of store.find('tasks', { by: 'serviceId', value: serviceId }))
        tasks.set(task.ID, task);
    }
    for (const taskId of query.tasks) {
      const task = store.get('tasks', taskId);
      if (task) tasks.set(task.ID, task);
    }
    const stream = new LogSubscriptionStream(this.options.newId(), query, (s) => this.closed(s));
    for (const task of [...tasks.values()].filter(hasLogs).slice(0, MAX_TASKS_PER_SUBSCRIPTION)) {
      const list = stream.nodes.get(task.NodeID!) ?? [];
      list.push(task.ID);
      stream.nodes.set(task.NodeID!, list);
    }
    this.subscriptions.set(stream.id, stream);
    for (const [nodeId, taskIds] of stream.nodes) {
      const node = store.get('nodes', nodeId);
      if (node === undefined || node.Status.State === 'down') {
        stream.warn(`node ${nodeId} is not available`);
        continue;
      }
      const subscription: LogSubscription = {
        id: stream.id,
        taskIds,
        follow: query.follow,
        tail: query.tail,
        since: query.since,
        stdout: query.stdout,
        stderr: query.stderr,
      };
      if (this.options.send(nodeId, encodeJson([subscription]))) stream.pending.add(nodeId);
      else stream.warn(`node ${nodeId} is not connected`);
    }
    if (stream.pending.size === 0 && !query.follow) {
      stream.finish();
    } else if (!query.follow) {
      stream.timer = setTimeout(() => {
        for (const nodeId of [...stream.pending]) stream.nodeDone(nodeId, 'no answer in time');
      }, NODE_TIMEOUT_MS);
    }
    return stream;
  }

  /** Ends every subscription (leadership lost, shutdown). */
  closeAll(): void {
    for (const stream of [...this.subscriptions.values()]) {
      stream.warn('the leader changed; the log stream ended');
      stream.finish();
    }
  }

  private closed(stream: LogSubscriptionStream): void {
    this.subscriptions.delete(stream.id);
    for (const nodeId of stream.pending) {
      this.options.send(nodeId, encodeJson([{ id: stream.id, cancel: true }]));
    }
    stream.pending.clear();
  }

  private async serveSubscribe(
    call: grpc.ServerWritableStream<{ query: Uint8Array }, WireLogBatch>,
  ): Promise<void> {
    let stream: LogSubscriptionStream;
    try {
      this.options.identify(call, ['manager']);
      if (!this.options.state.isLeader()) throw new Error('this manager is not the leader');
      stream = this.open(parseLogsQuery(call.request.query));
    } catch (error) {
      call.emit('error', {
        code: grpc.status.FAILED_PRECONDITION,
        details: (error as Error).message,
      });
      return;
    }
    call.on('cancelled', () => stream.close());
    try {
      for await (const batch of stream) {
        if (call.cancelled) break;
        if (!call.write(batch)) await new Promise((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch {
      stream.close();
    }
  }

  private servePublish(
    call: grpc.ServerReadableStream<WirePublishRequest, object>,
    callback: grpc.sendUnaryData<object>,
  ): void {
    let nodeId: string;
    try {
      nodeId = this.options.identify(call, ['manager', 'worker']);
    } catch (error) {
      callback({ code: grpc.status.PERMISSION_DENIED, details: (error as Error).message });
      return;
    }
    const seen = new Set<string>();
    call.on('data', (message: WirePublishRequest) => {
      const stream = this.subscriptions.get(message.subscriptionId);
      if (stream === undefined) {
        // Ended meanwhile: tell the node to stop.
        this.options.send(nodeId, encodeJson([{ id: message.subscriptionId, cancel: true }]));
        return;
      }
      seen.add(stream.id);
      if (message.lines.length > 0) stream.lines(nodeId, message.lines);
      if (message.done) stream.nodeDone(nodeId, message.error || undefined);
    });
    call.on('end', () => {
      for (const id of seen) this.subscriptions.get(id)?.nodeDone(nodeId);
      callback(null, {});
    });
    call.on('error', () => {
      for (const id of seen)
        this.subscriptions.get(id)?.nodeDone(nodeId, 'the node stopped sending');
    });
  }
}
