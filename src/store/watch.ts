// Streams of committed changes. The store publishes a batch's events after the batch applied,
// in change order; a watcher never slows the store: each has a bounded queue and is closed with
// WatcherFellBehindError when a consumer lets it overflow. Consumers that need a consistent
// start read the store and call watch() in the same synchronous turn (nothing applies between).
import { type StoreError, WatcherFellBehindError } from './errors.ts';
import type { TableName, TableObjects } from './types.ts';

export type StoreEventKind = 'create' | 'update' | 'delete';

/** One committed change. `object` is the new state (for delete: the state that was deleted). */
export type StoreEvent = {
  [T in TableName]: {
    kind: StoreEventKind;
    table: T;
    object: TableObjects[T];
    /** The state before an update. */
    oldObject?: TableObjects[T];
    /** Raft index of the entry whose batch made the change. */
    index: number;
  };
}[TableName];

export const DEFAULT_MAX_QUEUE = 10_000;

export interface WatchOptions {
  /** Only these tables (default: all). */
  table?: TableName | TableName[];
  filter?: (event: StoreEvent) => boolean;
  /** Events a slow consumer may leave queued before the watcher is closed (default 10,000). */
  maxQueue?: number;
  /**
   * Callback mode: each event is handed over synchronously once its batch has applied (the
   * store then shows that batch's state), and nothing is queued. A throw closes the watcher with
   * that error. Calling store.apply from inside is refused.
   */
  onEvent?: (event: StoreEvent) => void;
  /** Called once when the watcher closes: no error for close(), else why. */
  onClose?: (error?: Error) => void;
}

type Waiter = {
  resolve: (result: IteratorResult<StoreEvent>) => void;
  reject: (error: Error) => void;
};

export class Watcher implements AsyncIterableIterator<StoreEvent> {
  private readonly tables: ReadonlySet<TableName> | undefined;
  private readonly maxQueue: number;
  private queue: StoreEvent[] = [];
  private waiters: Waiter[] = [];
  private closedError: Error | undefined;
  private isClosed = false;
  /** The error is thrown to the iterating consumer once; later next() calls report done. */
  private errorReported = false;

  constructor(
    private readonly options: WatchOptions,
    private readonly detach: (watcher: Watcher) => void,
  ) {
    const tables = options.table;
    this.tables =
      tables === undefined ? undefined : new Set(Array.isArray(tables) ? tables : [tables]);
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!Number.isSafeInteger(this.maxQueue) || this.maxQueue < 1) {
      throw new RangeError(`maxQueue must be a positive integer, got ${options.maxQueue}`);
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Why the watcher closed, when it did not close by close(). */
  get error(): Error | undefined {
    return this.closedError;
  }

  /** Stops the stream; a pending or later next() reports done. Queued events are dropped. */
  close(): void {
    this.finish(undefined);
  }

  /** Called by the store for every committed event, in order. */
  deliver(event: StoreEvent): void {
    if (this.isClosed) return;
    if (this.tables && !this.tables.has(event.table)) return;
    try {
      if (this.options.filter && !this.options.filter(event)) return;
      if (this.options.onEvent) {
        this.options.onEvent(event);
        return;
      }
    } catch (error) {
      this.finish(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value: event, done: false });
    else if (this.queue.length >= this.maxQueue)
      this.finish(new WatcherFellBehindError(this.maxQueue));
    else this.queue.push(event);
  }

  /** Closes with an error the consumer sees (e.g. fell behind, store reset). */
  fail(error: StoreError): void {
    this.finish(error);
  }

  next(): Promise<IteratorResult<StoreEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.isClosed) {
      if (this.closedError && !this.errorReported) {
        this.errorReported = true;
        return Promise.reject(this.closedError);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Leaving a for-await loop closes the watcher. */
  return(): Promise<IteratorResult<StoreEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoreEvent> {
    return this;
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedError = error;
    this.queue = [];
    this.detach(this);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (error && !this.errorReported) {
        this.errorReported = true;
        waiter.reject(error);
      } else {
        waiter.resolve({ value: undefined, done: true });
      }
    }
    try {
      this.options.onClose?.(error);
    } catch {
      // A failing close callback must not reach the store's apply path.
    }
  }
}

/** The store's set of watchers. */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  watch(options: WatchOptions = {}): Watcher {
    const watcher = new Watcher(options, (closed) => this.watchers.delete(closed));
    this.watchers.add(watcher);
    return watcher;
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Delivers one batch's events; watchers added meanwhile start with the next batch. */
  publish(events: readonly StoreEvent[]): void {
    if (events.length === 0) return;
    for (const watcher of [...this.watchers]) {
      for (const event of events) watcher.deliver(event);
    }
  }

  failAll(error: () => StoreError): void {
    for (const watcher of [...this.watchers]) watcher.fail(error());
  }
}
