// The node's recent swarm events and their live subscribers. History is a bounded ring (what
// `since` can reach back to, like dockerd's 256-event log); each subscriber has a bounded
// queue, and one that lets it overflow is closed rather than slowing the store or growing
// memory (its stream ends, the client reconnects with `since`).
import type { DockerEvent } from './message.ts';

/** Events kept for `since`: more than dockerd's 256, as a cluster's changes come in bursts. */
export const DEFAULT_EVENT_HISTORY_MAX = 1024;
/** Events a subscriber may leave unread before its stream is closed. */
export const DEFAULT_SUBSCRIBER_QUEUE_MAX = 4096;

export interface EventSubscription extends AsyncIterable<DockerEvent> {
  /** Stops the subscription; a pending iteration ends. */
  close(): void;
  /** True when it was closed because the consumer fell behind. */
  readonly overflowed: boolean;
}

class Subscriber implements EventSubscription {
  private queue: DockerEvent[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  overflowed = false;

  constructor(
    private readonly include: (event: DockerEvent) => boolean,
    private readonly queueMax: number,
    private readonly detach: (subscriber: Subscriber) => void,
  ) {}

  push(event: DockerEvent): void {
    if (this.closed || !this.include(event)) return;
    if (this.queue.length >= this.queueMax) {
      this.overflowed = true;
      this.close();
      return;
    }
    this.queue.push(event);
    this.signal();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach(this);
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DockerEvent> {
    try {
      for (;;) {
        const event = this.queue.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      this.close();
    }
  }
}

export class EventLog {
  private readonly history: DockerEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    private readonly historyMax = DEFAULT_EVENT_HISTORY_MAX,
    private readonly queueMax = DEFAULT_SUBSCRIBER_QUEUE_MAX,
  ) {
    if (!Number.isSafeInteger(historyMax) || historyMax < 1) {
      throw new RangeError(`historyMax must be a positive integer, got ${historyMax}`);
    }
    if (!Number.isSafeInteger(queueMax) || queueMax < 1) {
      throw new RangeError(`queueMax must be a positive integer, got ${queueMax}`);
    }
  }

  publish(event: DockerEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyMax) this.history.shift();
    for (const subscriber of [...this.subscribers]) subscriber.push(event);
  }

  /**
   * The kept events that `include` accepts, and a subscription to the events published from
   * now on (taken in the same turn, so none falls between the two).
   */
  subscribe(include: (event: DockerEvent) => boolean): {
    past: DockerEvent[];
    live: EventSubscription;
  } {
    const past = this.history.filter(include);
    const live = new Subscriber(include, this.queueMax, (closed) =>
      this.subscribers.delete(closed),
    );
    this.subscribers.add(live);
    return { past, live };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Ends every live subscription (the server is closing). */
  closeAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close();
  }
}
