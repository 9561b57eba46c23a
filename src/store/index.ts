// The replicated state machine of the managers: tables, indexes, versions, watches, snapshots.
// Writes are batches proposed through Raft and applied with Store.apply/applyEncoded in log
// order; reads are local and return frozen objects. See store.ts for the guarantees.
export {
  type Batch,
  type Change,
  type CreateChange,
  type DeleteChange,
  MAX_BATCH_BYTES,
  MAX_CHANGES_PER_BATCH,
  type ObjectInput,
  type UpdateChange,
  validateBatch,
} from './batch.ts';
export {
  canonicalJson,
  decodeBatch,
  decodeSnapshot,
  encodeBatch,
  encodeSnapshot,
  planBatches,
  type StoreState,
} from './codec.ts';
export {
  AlreadyExistsError,
  ConflictError,
  InvalidBatchError,
  NameConflictError,
  NotFoundError,
  StoreError,
  type StoreErrorCode,
  WatcherFellBehindError,
  WatcherResetError,
} from './errors.ts';
export { type ApplyResult, Store } from './store.ts';
export { type IndexedFields, type IndexQuery, UNIQUE_NAME_TABLES } from './table.ts';
export * from './types.ts';
export {
  DEFAULT_MAX_QUEUE,
  type StoreEvent,
  type StoreEventKind,
  Watcher,
  type WatchOptions,
} from './watch.ts';
