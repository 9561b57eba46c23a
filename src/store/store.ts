// The managers' replicated state machine. Raft hands it committed entries in index order; it
// applies each entry's batch all-or-nothing and publishes the changes to watchers. It is pure
// and deterministic: no clocks, no randomness, every read sorted by ID, so replicas that apply
// the same entries hold the same state (their snapshots are byte-identical).
import { type Batch, type Change, validateBatch } from './batch.ts';
import { decodeBatch, decodeSnapshot, encodeSnapshot, type StoreState } from './codec.ts';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidBatchError,
  NameConflictError,
  NotFoundError,
  StoreError,
  WatcherResetError,
} from './errors.ts';
import {
  type IndexQuery,
  indexedFieldProblem,
  nameKey,
  Table,
  UNIQUE_NAME_TABLES,
} from './table.ts';
import { type StoredObject, TABLE_NAMES, type TableName, type TableObjects } from './types.ts';
import { type StoreEvent, type Watcher, WatchHub, type WatchOptions } from './watch.ts';

/**
 * The outcome of one entry. A failed batch changed nothing, but the entry still counts as
 * applied (`version` moves to its index): every replica fails it the same way.
 */
export type ApplyResult =
  | { ok: true; index: number; requestId?: string; events: StoreEvent[] }
  | { ok: false; index: number; requestId?: string; error: StoreError };

type Tables = { [T in TableName]: Table<TableObjects[T]> };
type UndoStep = { table: TableName; id: string; previous: StoredObject | undefined };

function emptyTables(): Tables {
  const tables: Partial<Record<TableName, Table<StoredObject>>> = {};
  for (const table of TABLE_NAMES) tables[table] = new Table(table);
  return tables as Tables;
}

/** Frozen all the way down, so objects handed out by reads and events cannot be changed. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

export class Store {
  private tables: Tables = emptyTables();
  private appliedIndex = 0;
  private readonly hub = new WatchHub();
  /** True while a batch applies or its events are delivered: apply is not re-entrant. */
  private applying = false;

  /** The store-wide index: the Raft index of the last entry applied (0 when empty). */
  get version(): number {
    return this.appliedIndex;
  }

  /** Builds a store from `snapshot()` bytes. */
  static restore(bytes: Uint8Array): Store {
    const store = new Store();
    store.load(decodeSnapshot(bytes));
    return store;
  }

  get<T extends TableName>(table: T, id: string): TableObjects[T] | undefined {
    return this.table(table).get(id);
  }

  /** Every object of the table, sorted by ID. Objects are frozen: clone before changing. */
  list<T extends TableName>(table: T): TableObjects[T][] {
    return this.table(table).all();
  }

  /** Objects matching an index lookup or a predicate, sorted by ID. */
  find<T extends TableName>(
    table: T,
    query: IndexQuery<T> | ((object: TableObjects[T]) => boolean),
  ): TableObjects[T][] {
    const rows = this.table(table);
    if (typeof query === 'function') return rows.all().filter(query);
    return rows.lookup(query.by, query.value).map((id) => rows.get(id)!);
  }

  count(table: TableName): number {
    return this.tables[table].size;
  }

  watch(options: WatchOptions = {}): Watcher {
    return this.hub.watch(options);
  }

  /** Decodes a Raft entry's data and applies it; undecodable data fails like a bad batch. */
  applyEncoded(index: number, bytes: Uint8Array): ApplyResult {
    let batch: Batch;
    try {
      batch = decodeBatch(bytes);
    } catch (error) {
      this.checkIndex(index);
      this.appliedIndex = index;
      return { ok: false, index, error: error as StoreError };
    }
    return this.apply(index, batch);
  }

  /**
   * Applies a committed batch at Raft index `index` (greater than `version`). All changes apply
   * or none does; events go to watchers only after success. Throws only on misuse (an index not
   * after `version`, re-entrance); everything a batch can get wrong comes back as `ok: false`.
   */
  apply(index: number, batch: Batch): ApplyResult {
    this.checkIndex(index);
    const requestId = typeof batch?.requestId === 'string' ? batch.requestId : undefined;
    this.applying = true;
    try {
      const undo: UndoStep[] = [];
      let events: StoreEvent[];
      try {
        validateBatch(batch);
        events = batch.changes.map((change) =>
          this.applyChange(index, batch.timestamp, change, undo),
        );
      } catch (error) {
        this.rollBack(undo);
        if (!(error instanceof StoreError)) throw error;
        this.appliedIndex = index;
        return { ok: false, index, requestId, error };
      }
      this.appliedIndex = index;
      this.hub.publish(events);
      return { ok: true, index, requestId, events };
    } finally {
      this.applying = false;
    }
  }

  /** The whole state, canonical bytes, for a Raft snapshot. */
  snapshot(): Uint8Array {
    const tables = {} as StoreState['tables'];
    for (const table of TABLE_NAMES) {
      (tables as Record<TableName, StoredObject[]>)[table] = this.list(table);
    }
    return encodeSnapshot({ version: this.appliedIndex, tables });
  }

  /**
   * Replaces the whole state with a snapshot's (a follower installing a leader's snapshot).
   * Every watcher is closed with WatcherResetError: consumers re-list and watch again.
   */
  replaceState(bytes: Uint8Array): void {
    if (this.applying) throw new Error('store.replaceState called while a batch applies');
    this.load(decodeSnapshot(bytes));
    this.hub.failAll(() => new WatcherResetError());
  }

  private load(state: StoreState): void {
    const tables = emptyTables();
    for (const table of TABLE_NAMES) {
      for (const object of state.tables[table]) {
        (tables[table] as Table<StoredObject>).put(deepFreeze(object));
      }
    }
    this.tables = tables;
    this.appliedIndex = state.version;
  }

  private table<T extends TableName>(table: T): Table<TableObjects[T]> {
    const rows = this.tables[table];
    if (!rows) throw new Error(`unknown table ${table}`);
    return rows;
  }

  private checkIndex(index: number): void {
    if (this.applying) throw new Error('store.apply is not re-entrant (called from a watcher?)');
    if (!Number.isSafeInteger(index) || index <= this.appliedIndex) {
      throw new Error(
        `entry index ${index} must be after the store's version ${this.appliedIndex}`,
      );
    }
  }

  private applyChange(
    index: number,
    timestamp: string,
    change: Change,
    undo: UndoStep[],
  ): StoreEvent {
    const rows = this.tables[change.table] as Table<StoredObject>;
    const id = change.kind === 'delete' ? change.id : change.object.ID;
    const existing = rows.get(id);
    if (change.kind === 'create' && existing) throw new AlreadyExistsError(change.table, id);
    if (change.kind !== 'create') {
      if (!existing) throw new NotFoundError(change.table, id);
      const expected = change.expectedVersion;
      if (expected !== undefined && existing.Version.Index !== expected) {
        const name = (existing.Spec as { Name?: string } | undefined)?.Name;
        throw new ConflictError(
          change.table,
          id,
          name,
          existing.Version.Index,
          expected,
          change.kind,
        );
      }
    }
    undo.push({ table: change.table, id, previous: existing });
    if (change.kind === 'delete') {
      rows.remove(id);
      return { kind: 'delete', table: change.table, object: existing!, index } as StoreEvent;
    }
    const object = this.prepare(change.table, change.object, {
      Version: { Index: index },
      CreatedAt: existing?.CreatedAt ?? timestamp,
      UpdatedAt: timestamp,
    });
    rows.put(object);
    return change.kind === 'create'
      ? ({ kind: 'create', table: change.table, object, index } as StoreEvent)
      : ({ kind: 'update', table: change.table, object, oldObject: existing, index } as StoreEvent);
  }

  /** The object as stored: plain JSON data (as every replica decodes it), store-owned Meta. */
  private prepare(
    table: TableName,
    input: unknown,
    meta: Pick<StoredObject, 'Version' | 'CreatedAt' | 'UpdatedAt'>,
  ): StoredObject {
    const { ID, Version, CreatedAt, UpdatedAt, ...rest } = JSON.parse(JSON.stringify(input));
    const object = { ID, ...meta, ...rest } as StoredObject;
    const problem = indexedFieldProblem(table, object);
    if (problem) throw new InvalidBatchError(`${table} ${ID}: ${problem}`);
    const name = nameKey(table, object);
    if (name !== undefined && UNIQUE_NAME_TABLES.has(table)) {
      const holder = this.tables[table].lookup('name', name).find((holderId) => holderId !== ID);
      if (holder !== undefined) {
        throw new NameConflictError(table, (object.Spec as { Name: string }).Name, holder);
      }
    }
    return deepFreeze(object);
  }

  private rollBack(undo: UndoStep[]): void {
    for (const step of undo.reverse()) {
      const rows = this.tables[step.table] as Table<StoredObject>;
      if (step.previous) rows.put(step.previous);
      else rows.remove(step.id);
    }
  }
}
