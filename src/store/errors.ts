// Why a batch or a watch failed. Each error carries a stable `code` that the API layer maps to an
// HTTP status (suggested mapping on each class), and the fields a caller needs to react without
// parsing messages. Messages name the object as Docker users know it: by name when it has one.
import type { TableName } from './types.ts';

/** Singular nouns for messages; the cluster is what Docker calls "the swarm". */
const OBJECT_NOUNS: Record<TableName, string> = {
  cluster: 'cluster',
  nodes: 'node',
  services: 'service',
  tasks: 'task',
  networks: 'network',
  secrets: 'secret',
  configs: 'config',
};

function describe(table: TableName, id: string, name?: string): string {
  return `${OBJECT_NOUNS[table]} ${name ?? id}`;
}

export type StoreErrorCode =
  | 'conflict'
  | 'not_found'
  | 'already_exists'
  | 'name_conflict'
  | 'invalid_batch'
  | 'watcher_fell_behind'
  | 'watcher_reset';

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** HTTP 409-ish. The expected Version.Index does not match the stored one: re-read and retry. */
export class ConflictError extends StoreError {
  override name = 'ConflictError';
  readonly code = 'conflict';
  constructor(
    readonly table: TableName,
    readonly id: string,
    readonly objectName: string | undefined,
    readonly currentVersion: number,
    readonly expectedVersion: number,
    operation: 'update' | 'delete' = 'update',
  ) {
    super(
      `${operation} out of sequence: ${describe(table, id, objectName)} is at version ` +
        `${currentVersion}, the ${operation} was for version ${expectedVersion}`,
    );
  }
}

/** HTTP 404. Update or delete of an object that does not exist. */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
  readonly code = 'not_found';
  constructor(
    readonly table: TableName,
    readonly id: string,
  ) {
    super(`${describe(table, id)} not found`);
  }
}

/** HTTP 409. A create with an ID already in use (ids are random: a proposer bug or a replay). */
export class AlreadyExistsError extends StoreError {
  override name = 'AlreadyExistsError';
  readonly code = 'already_exists';
  constructor(
    readonly table: TableName,
    readonly id: string,
  ) {
    super(`${OBJECT_NOUNS[table]} with ID ${id} already exists`);
  }
}

/**
 * HTTP 409. Another object of the table has the name (compared case-insensitively, as swarmkit
 * does). Docker's wording is "rpc error: code = AlreadyExists desc = name conflicts with an
 * existing object"; the API layer may prefix that.
 */
export class NameConflictError extends StoreError {
  override name = 'NameConflictError';
  readonly code = 'name_conflict';
  constructor(
    readonly table: TableName,
    readonly objectName: string,
    readonly existingId: string,
  ) {
    super(`${describe(table, existingId, objectName)} already exists`);
  }
}

/** HTTP 400 (or 500 when it reaches the log: the proposer should have checked). */
export class InvalidBatchError extends StoreError {
  override name = 'InvalidBatchError';
  readonly code = 'invalid_batch';
}

/** A watcher's queue passed its bound; the consumer must re-list and watch again. */
export class WatcherFellBehindError extends StoreError {
  override name = 'WatcherFellBehindError';
  readonly code = 'watcher_fell_behind';
  constructor(readonly maxQueue: number) {
    super(`watcher fell behind: more than ${maxQueue} events queued`);
  }
}

/** The store's whole state was replaced from a snapshot; the consumer must re-list and watch. */
export class WatcherResetError extends StoreError {
  override name = 'WatcherResetError';
  readonly code = 'watcher_reset';
  constructor() {
    super('watcher reset: the store was restored from a snapshot');
  }
}
