// A batch is what one Raft entry carries: changes that apply all together or not at all. The
// proposer fixes everything non-deterministic (object IDs, the timestamp) before proposing, so
// every replica applying the entry computes the same state.
import { InvalidBatchError } from './errors.ts';
import { type Meta, TABLE_NAMES, type TableName, type TableObjects } from './types.ts';

/** Swarmkit's transaction bounds: a Raft entry stays well under the 4 MiB message limit. */
export const MAX_CHANGES_PER_BATCH = 200;
export const MAX_BATCH_BYTES = 1.5 * 1024 * 1024;

/**
 * An object as a proposer supplies it: Version, CreatedAt and UpdatedAt are assigned by the
 * store, so they may be left out (or left as read, e.g. an object read, changed and written back).
 */
export type ObjectInput<T extends TableName> = Omit<
  TableObjects[T],
  'Version' | 'CreatedAt' | 'UpdatedAt'
> &
  Partial<Pick<Meta, 'Version' | 'CreatedAt' | 'UpdatedAt'>>;

export type CreateChange<T extends TableName> = {
  kind: 'create';
  table: T;
  object: ObjectInput<T>;
};
/** Replaces the whole object; fails unless the stored Version.Index equals expectedVersion. */
export type UpdateChange<T extends TableName> = {
  kind: 'update';
  table: T;
  object: ObjectInput<T>;
  expectedVersion: number;
};
/** expectedVersion is optional because Docker's DELETE endpoints carry no version. */
export type DeleteChange<T extends TableName> = {
  kind: 'delete';
  table: T;
  id: string;
  expectedVersion?: number;
};

export type Change = {
  [T in TableName]: CreateChange<T> | UpdateChange<T> | DeleteChange<T>;
}[TableName];

export interface Batch {
  /** RFC 3339 UTC ("...Z"), set by the proposer; becomes CreatedAt/UpdatedAt of what it writes. */
  timestamp: string;
  changes: Change[];
  /** Opaque to the store; handed back in ApplyResult so a proposer can find its own entry. */
  requestId?: string;
}

const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const TABLES = new Set<string>(TABLE_NAMES);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isVersion(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Checks the shape of a batch (not its effect on the store, which `Store.apply` decides).
 * Throws InvalidBatchError naming the first problem, with the change's position.
 */
export function validateBatch(batch: unknown): asserts batch is Batch {
  if (!isRecord(batch)) throw new InvalidBatchError('batch must be an object');
  if (typeof batch.timestamp !== 'string' || !TIMESTAMP_PATTERN.test(batch.timestamp)) {
    throw new InvalidBatchError(
      `batch timestamp must be RFC 3339 in UTC, got ${JSON.stringify(batch.timestamp)}`,
    );
  }
  if (batch.requestId !== undefined && typeof batch.requestId !== 'string') {
    throw new InvalidBatchError('batch requestId must be a string');
  }
  if (!Array.isArray(batch.changes)) throw new InvalidBatchError('batch changes must be a list');
  if (batch.changes.length > MAX_CHANGES_PER_BATCH) {
    throw new InvalidBatchError(
      `batch has ${batch.changes.length} changes; at most ${MAX_CHANGES_PER_BATCH} fit in one ` +
        'transaction (split it with planBatches)',
    );
  }
  batch.changes.forEach((change: unknown, position: number) => {
    const problem = changeProblem(change);
    if (problem) throw new InvalidBatchError(`change ${position}: ${problem}`);
  });
}

function changeProblem(change: unknown): string | undefined {
  if (!isRecord(change)) return 'must be an object';
  if (typeof change.table !== 'string' || !TABLES.has(change.table)) {
    return `unknown table ${JSON.stringify(change.table)}`;
  }
  switch (change.kind) {
    case 'create':
    case 'update':
      if (!isRecord(change.object)) return `${change.kind} needs an object`;
      if (typeof change.object.ID !== 'string' || change.object.ID === '') {
        return `${change.kind} needs an object with a non-empty string ID`;
      }
      if (change.kind === 'update' && !isVersion(change.expectedVersion)) {
        return 'update needs expectedVersion (the Version.Index it was read at)';
      }
      return undefined;
    case 'delete':
      if (typeof change.id !== 'string' || change.id === '') return 'delete needs a string id';
      if (change.expectedVersion !== undefined && !isVersion(change.expectedVersion)) {
        return 'delete expectedVersion must be a non-negative integer';
      }
      return undefined;
    default:
      return `unknown kind ${JSON.stringify(change.kind)}`;
  }
}
