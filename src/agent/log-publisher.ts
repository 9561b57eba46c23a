// The agent's side of `service logs`: serves the log subscriptions the leader sends on the
// session by reading the tasks' output from their runtime drivers and publishing it to the
// leader (Logs.Publish), one stream per subscription, in bounded messages. Without follow a
// subscription ends with `done` once every task's output was read; with follow it runs until
// the leader cancels it (the reader left) or the session's manager changes.
import * as grpc from '@grpc/grpc-js';
import {
  type LogSubscription,
  type LogSubscriptionMessage,
  MAX_LINE_BYTES,
  MAX_LINES_PER_MESSAGE,
  type WireLogLine,
  type WirePublishRequest,
} from '../manager/logs/protocol.ts';
import { clientChannelOptions, createClientCredentials, type TlsMaterial } from '../pki/index.ts';
import { clusterServiceDefinition } from '../rpc/index.ts';
import type { LogEntry } from '../runtime/driver.ts';
import type { Worker } from './worker/index.ts';

/** Subscriptions served at once; more are refused with an error. */
const MAX_ACTIVE = 64;

export interface LogPublisherOptions {
  nodeId: string;
  clusterId: string;
  tls: () => TlsMaterial;
  worker: Worker;
  /** The manager the session is with (the leader), host:port; null when none. */
  manager: () => string | null;
  log: (line: string) => void;
}

export class LogPublisher {
  private readonly active = new Map<string, AbortController>();
  private client: { addr: string; client: grpc.Client } | null = null;

  constructor(private readonly options: LogPublisherOptions) {}

  handle(messages: LogSubscriptionMessage[]): void {
    for (const message of messages) {
      if ('cancel' in message) {
        this.active.get(message.id)?.abort();
        continue;
      }
      if (this.active.has(message.id)) continue;
      void this.serve(message);
    }
  }

  stop(): void {
    for (const controller of this.active.values()) controller.abort();
    this.active.clear();
    this.client?.client.close();
    this.client = null;
  }

  private grpcClient(addr: string): grpc.Client {
    if (this.client?.addr === addr) return this.client.client;
    this.client?.client.close();
    const credentials = createClientCredentials(this.options.tls(), {
      expectedRole: 'manager',
      expectedClusterId: this.options.clusterId,
    });
    const client = new grpc.Client(addr, credentials, {
      ...clientChannelOptions('manager'),
      'grpc.enable_http_proxy': 0,
    });
    this.client = { addr, client };
    return client;
  }

  private async serve(subscription: LogSubscription): Promise<void> {
    const addr = this.options.manager();
    if (addr === null) return;
    const controller = new AbortController();
    const method = clusterServiceDefinition('Logs').Publish as grpc.MethodDefinition<
      WirePublishRequest,
      object
    >;
    let call: grpc.ClientWritableStream<WirePublishRequest>;
    try {
      call = this.grpcClient(addr).makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        () => {},
      );
    } catch (error) {
      this.options.log(`agent: cannot publish logs: ${(error as Error).message}`);
      return;
    }
    const id = subscription.id;
    if (this.active.size >= MAX_ACTIVE) {
      call.write({
        subscriptionId: id,
        lines: [],
        done: true,
        error: 'too many log streams on this node',
      });
      call.end();
      return;
    }
    this.active.set(id, controller);
    call.on('error', () => controller.abort());
    const send = async (lines: WireLogLine[]) => {
      if (controller.signal.aborted) return;
      if (!call.write({ subscriptionId: id, lines, done: false, error: '' })) {
        await new Promise((resolve) => call.once('drain', resolve));
      }
    };
    const errors: string[] = [];
    const read = async (taskId: string) => {
      const found = this.options.worker.taskOf(taskId);
      if (found?.driver == null) {
        errors.push(`task ${taskId} is not on this node any more`);
        return;
      }
      let batch: WireLogLine[] = [];
      try {
        const entries = found.driver.logs(taskId, {
          follow: subscription.follow,
          ...(subscription.tail >= 0 ? { tail: subscription.tail } : {}),
          ...(subscription.since > 0 ? { since: subscription.since } : {}),
          signal: controller.signal,
        });
        for await (const entry of entries) {
          if (!wanted(entry, subscription)) continue;
          batch.push(toWire(entry, taskId, found.task.ServiceID, this.options.nodeId));
          if (batch.length >= MAX_LINES_PER_MESSAGE) {
            await send(batch);
            batch = [];
          } else if (subscription.follow) {
            // Following: deliver at once (the batch only bounds bursts).
            await send(batch);
            batch = [];
          }
        }
        if (batch.length > 0) await send(batch);
      } catch (error) {
        if (!controller.signal.aborted) errors.push(`task ${taskId}: ${(error as Error).message}`);
      }
    };
    try {
      await Promise.all(subscription.taskIds.map((taskId) => read(taskId)));
      if (!controller.signal.aborted) {
        call.write({ subscriptionId: id, lines: [], done: true, error: errors.join('; ') });
      }
    } finally {
      this.active.delete(id);
      call.end();
    }
  }
}

function wanted(entry: LogEntry, subscription: LogSubscription): boolean {
  return entry.stream === 'stdout' ? subscription.stdout : subscription.stderr;
}

function toWire(entry: LogEntry, taskId: string, serviceId: string, nodeId: string): WireLogLine {
  const data =
    entry.line.length > MAX_LINE_BYTES ? entry.line.subarray(0, MAX_LINE_BYTES) : entry.line;
  return {
    taskId,
    serviceId,
    nodeId,
    stream: entry.stream === 'stdout' ? 1 : 2,
    time: entry.time,
    data,
  };
}
