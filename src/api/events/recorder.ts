// Feeds a manager's committed changes into the event log. Only changes committed after the
// recorder attached count: entries a restarted manager replays from its Raft log happened
// before, and dockerd does not replay swarm events either. A store reset (a snapshot installed
// from the leader) ends the watch; the recorder watches again from the new state.
import type { Store, TableName } from '../../store/index.ts';
import type { EventLog } from './log.ts';
import { nowNanos, toDockerEvent } from './message.ts';

const EVENT_TABLES: TableName[] = ['services', 'nodes', 'secrets', 'configs', 'networks'];

/** A manager's store and the last Raft index it already held when the recorder attached. */
export interface RecordedStore {
  store: Store;
  /** Changes at or below this index are history, not events. */
  fromIndex: number;
}

export class EventRecorder {
  private detach: (() => void) | undefined;
  private current: Store | undefined;

  constructor(private readonly log: EventLog) {}

  /** Records the changes of `source` from now on (detaching from any previous store). */
  attach(source: RecordedStore): void {
    this.stop();
    this.current = source.store;
    this.watch(source.store, source.fromIndex);
  }

  /** Stops recording (the manager stopped). */
  stop(): void {
    const detach = this.detach;
    this.detach = undefined;
    this.current = undefined;
    detach?.();
  }

  private watch(store: Store, fromIndex: number): void {
    const watcher = store.watch({
      table: EVENT_TABLES,
      filter: (event) => event.index > fromIndex,
      onEvent: (event) => {
        const message = toDockerEvent(event, nowNanos());
        if (message !== undefined) this.log.publish(message);
      },
      onClose: (error) => {
        if (error === undefined || this.current !== store) return;
        this.watch(store, store.version);
      },
    });
    this.detach = () => watcher.close();
  }
}
