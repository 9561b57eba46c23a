// One table: objects by ID plus secondary indexes (key → set of IDs). Tables know nothing about
// versions or batches; the store decides what to write and keeps an undo log for atomicity.
import { type StoredObject, TASK_STATES, type TableName } from './types.ts';

/** The secondary indexes of each table, queried with `{ by, value }`. */
export interface IndexedFields {
  cluster: 'name';
  nodes: 'name';
  services: 'name';
  tasks: 'serviceId' | 'nodeId' | 'desiredState';
  networks: 'name';
  secrets: 'name';
  configs: 'name';
}
export type IndexName = IndexedFields[TableName];

/**
 * A lookup through an index. Names compare case-insensitively (as swarmkit does); `idPrefix`
 * matches IDs starting with value, for Docker's "ID, name or ID prefix" arguments.
 */
export interface IndexQuery<T extends TableName> {
  by: IndexedFields[T] | 'idPrefix';
  value: string;
}

/** Tables whose names are unique: swarmkit refuses a second service/network/... with a name. */
export const UNIQUE_NAME_TABLES: ReadonlySet<TableName> = new Set<TableName>([
  'cluster',
  'services',
  'networks',
  'secrets',
  'configs',
]);

function field(object: unknown, ...path: string[]): unknown {
  let value = object;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Index key extractors; undefined means "not in this index". */
type KeyOf = (object: unknown) => string | undefined;
const specName: KeyOf = (object) => text(field(object, 'Spec', 'Name'))?.toLowerCase();
const INDEX_KEYS: Record<TableName, Partial<Record<IndexName, KeyOf>>> = {
  cluster: { name: specName },
  // Docker resolves node names by hostname, and two machines may share one (cloned SD cards).
  nodes: { name: (object) => text(field(object, 'Description', 'Hostname'))?.toLowerCase() },
  services: { name: specName },
  tasks: {
    serviceId: (object) => text(field(object, 'ServiceID')),
    nodeId: (object) => text(field(object, 'NodeID')),
    desiredState: (object) => text(field(object, 'DesiredState')),
  },
  networks: { name: specName },
  secrets: { name: specName },
  configs: { name: specName },
};

/** The key a query value maps to in its index (names are stored lower-cased). */
export function indexKey(index: IndexName, value: string): string {
  return index === 'name' ? value.toLowerCase() : value;
}

/** The object's name as indexed (lower-cased), if its table has a name index. */
export function nameKey(table: TableName, object: unknown): string | undefined {
  return INDEX_KEYS[table].name?.(object);
}

const TASK_STATE_SET = new Set<unknown>(TASK_STATES);

/** What keeps an object out of its table's indexes, or undefined when it can be stored. */
export function indexedFieldProblem(table: TableName, object: unknown): string | undefined {
  if (UNIQUE_NAME_TABLES.has(table) && text(field(object, 'Spec', 'Name')) === undefined) {
    return `${table} objects need a non-empty Spec.Name`;
  }
  if (table !== 'tasks') return undefined;
  if (text(field(object, 'ServiceID')) === undefined) return 'tasks need a ServiceID';
  if (!TASK_STATE_SET.has(field(object, 'DesiredState'))) {
    return `task DesiredState ${JSON.stringify(field(object, 'DesiredState'))} is not a task state`;
  }
  const nodeId = field(object, 'NodeID');
  if (nodeId !== undefined && typeof nodeId !== 'string') return 'task NodeID must be a string';
  return undefined;
}

export class Table<T extends StoredObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexes = new Map<IndexName, Map<string, Set<string>>>();
  /** IDs in order, rebuilt lazily: reads are sorted so replicas agree whatever the history. */
  private sortedIds: string[] | undefined;

  constructor(private readonly table: TableName) {
    for (const index of Object.keys(INDEX_KEYS[table]) as IndexName[]) {
      this.indexes.set(index, new Map());
    }
  }

  get size(): number {
    return this.objects.size;
  }

  get(id: string): T | undefined {
    return this.objects.get(id);
  }

  /** Inserts or replaces the object with the same ID, moving it between index keys. */
  put(object: T): void {
    const previous = this.objects.get(object.ID);
    if (previous) this.unindex(previous);
    else this.sortedIds = undefined;
    this.objects.set(object.ID, object);
    for (const [index, keys] of this.indexes) {
      const key = INDEX_KEYS[this.table][index]?.(object);
      if (key === undefined) continue;
      const ids = keys.get(key);
      if (ids) ids.add(object.ID);
      else keys.set(key, new Set([object.ID]));
    }
  }

  remove(id: string): void {
    const previous = this.objects.get(id);
    if (!previous) return;
    this.unindex(previous);
    this.objects.delete(id);
    this.sortedIds = undefined;
  }

  /** All objects, sorted by ID. */
  all(): T[] {
    this.sortedIds ??= [...this.objects.keys()].sort();
    return this.sortedIds.map((id) => this.objects.get(id)!);
  }

  /** IDs under one index key, sorted. */
  lookup(index: IndexName | 'idPrefix', value: string): string[] {
    if (index === 'idPrefix')
      return this.all().flatMap((o) => (o.ID.startsWith(value) ? [o.ID] : []));
    const keys = this.indexes.get(index);
    if (!keys) throw new Error(`table ${this.table} has no index ${index}`);
    return [...(keys.get(indexKey(index, value)) ?? [])].sort();
  }

  private unindex(object: T): void {
    for (const [index, keys] of this.indexes) {
      const key = INDEX_KEYS[this.table][index]?.(object);
      if (key === undefined) continue;
      const ids = keys.get(key);
      ids?.delete(object.ID);
      if (ids?.size === 0) keys.delete(key);
    }
  }
}
