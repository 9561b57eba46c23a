// Creating, listing, updating and removing secrets and configs, as swarmkit's control API and
// dockerd's lookups do it. The store's tables are replicated through the Raft log, which (with
// its snapshots) is encrypted at rest as a whole: secret data is stored encrypted and never
// written anywhere else by the managers. Nothing here logs data.
//
// Secrets and configs behave alike; they differ in the limit on their data, in whether the API
// shows the data (configs only), and in the services' reference field they are named in.

import {
  type Change,
  type Config,
  ConflictError,
  type Labels,
  NameConflictError,
  type Secret,
  type Service,
  type Store,
  StoreError,
} from '../../store/index.ts';
import type { ClusterState } from '../cluster-state.ts';
import { invalidArgument, SecretsError } from './errors.ts';
import { type CheckedSpec, checkLabels, checkSpec, type FileObjectKind } from './spec.ts';

type FileTable = 'secrets' | 'configs';

/** A stored secret or config, as both tables hold them. */
export interface FileObject {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: {
    Name: string;
    Labels: Labels;
    Data?: string;
    Templating?: Record<string, unknown>;
    Driver?: Record<string, unknown>;
  };
}

/** What the control needs of the cluster: the local store to read, Raft to write. */
export type ClusterWriter = Pick<ClusterState, 'store' | 'propose'>;

interface KindInfo {
  kind: FileObjectKind;
  table: FileTable;
  references: 'Secrets' | 'Configs';
  idKey: 'SecretID' | 'ConfigID';
  nameKey: 'SecretName' | 'ConfigName';
}

const KINDS: Record<FileObjectKind, KindInfo> = {
  secret: {
    kind: 'secret',
    table: 'secrets',
    references: 'Secrets',
    idKey: 'SecretID',
    nameKey: 'SecretName',
  },
  config: {
    kind: 'config',
    table: 'configs',
    references: 'Configs',
    idKey: 'ConfigID',
    nameKey: 'ConfigName',
  },
};

/** Docker's list filters for secrets and configs (dockerd's newListSecretsFilters). */
export const FILE_OBJECT_FILTERS: readonly string[] = ['id', 'label', 'name', 'names'];

/** swarmkit's filterMatchLabels: every `key` is set, every `key=value` has that value. */
function labelsMatch(labels: Labels, filters: readonly string[]): boolean {
  return filters.every((filter) => {
    const equals = filter.indexOf('=');
    if (equals < 0) return Object.hasOwn(labels, filter);
    const key = filter.slice(0, equals);
    const value = filter.slice(equals + 1);
    return Object.hasOwn(labels, key) && (value === '' || labels[key] === value);
  });
}

/** The services whose spec names `id` (or, for a reference without an ID, `name`). */
export function servicesUsing(
  store: Store,
  kind: FileObjectKind,
  id: string,
  name: string,
): Service[] {
  const { references, idKey, nameKey } = KINDS[kind];
  return store.list('services').filter((service) => {
    const refs = service.Spec.TaskTemplate?.ContainerSpec?.[references] ?? [];
    return refs.some((ref) => (ref[idKey] ? ref[idKey] === id : ref[nameKey] === name));
  });
}

export class FileObjectControl {
  private readonly info: KindInfo;

  constructor(
    private readonly state: ClusterWriter,
    kind: FileObjectKind,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {
    this.info = KINDS[kind];
  }

  private get noun(): FileObjectKind {
    return this.info.kind;
  }

  private all(): FileObject[] {
    return this.state.store.list(this.info.table) as FileObject[];
  }

  /** By full ID, then name, then unique ID prefix: dockerd's getSecret/getConfig. */
  find(reference: string): FileObject {
    const store = this.state.store;
    const exact = store.get(this.info.table, reference);
    if (exact) return exact as FileObject;
    // Names compare case-insensitively, as swarmkit's name index does.
    const named = store.find(this.info.table, { by: 'name', value: reference });
    const matches =
      named.length > 0 ? named : store.find(this.info.table, { by: 'idPrefix', value: reference });
    if (matches.length === 0) {
      throw new SecretsError('not_found', `${this.noun} ${reference} not found`);
    }
    if (matches.length > 1) {
      throw new SecretsError(
        'invalid_argument',
        `${this.noun} ${reference} is ambiguous (${matches.length} matches found)`,
      );
    }
    return matches[0] as FileObject;
  }

  /**
   * swarmkit's ListSecrets: objects matching any `names` (exact), `name` (prefix) or `id`
   * (prefix) given, then every `label` filter. Sorted by ID, as the store reads.
   */
  list(filters: ReadonlyMap<string, readonly string[]>): FileObject[] {
    const names = filters.get('names') ?? [];
    const namePrefixes = filters.get('name') ?? [];
    const idPrefixes = filters.get('id') ?? [];
    const labels = filters.get('label') ?? [];
    const selective = names.length + namePrefixes.length + idPrefixes.length > 0;
    return this.all().filter((object) => {
      const name = object.Spec.Name;
      const selected =
        !selective ||
        names.some((value) => name.toLowerCase() === value.toLowerCase()) ||
        namePrefixes.some((value) => name.toLowerCase().startsWith(value.toLowerCase())) ||
        idPrefixes.some((value) => object.ID.startsWith(value));
      return selected && labelsMatch(object.Spec.Labels ?? {}, labels);
    });
  }

  async create(input: unknown): Promise<{ ID: string }> {
    const spec = checkSpec(input, this.noun);
    this.checkNameFree(spec.Name);
    const id = this.newId();
    const timestamp = new Date(this.now()).toISOString();
    const object = { ID: id, Spec: spec };
    try {
      await this.state.propose([createChange(this.info.table, object)], timestamp);
    } catch (error) {
      if (error instanceof NameConflictError) throw this.alreadyExists(spec.Name);
      throw error;
    }
    return { ID: id };
  }

  /** swarmkit's UpdateSecret/UpdateConfig: only the labels change; data and name never do. */
  async update(reference: string, version: number, input: unknown): Promise<void> {
    const current = this.find(reference);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw invalidArgument('invalid argument');
    }
    const requested = input as Partial<CheckedSpec>;
    const dataChanged =
      requested.Data !== undefined &&
      requested.Data !== null &&
      requested.Data !== (current.Spec.Data ?? '');
    if (requested.Name !== current.Spec.Name || dataChanged) {
      throw invalidArgument('only updates to Labels are allowed');
    }
    if (current.Version.Index !== version) throw outOfSequence();
    const labels = checkLabels(requested.Labels, this.noun);
    const updated = { ...current, Spec: { ...current.Spec, Labels: labels } };
    try {
      await this.state.propose([updateChange(this.info.table, updated, version)]);
    } catch (error) {
      if (error instanceof ConflictError) throw outOfSequence();
      throw error;
    }
  }

  /** Refused while any service names the object, naming those services as swarmkit does. */
  async remove(reference: string): Promise<void> {
    const object = this.find(reference);
    const users = servicesUsing(this.state.store, this.noun, object.ID, object.Spec.Name);
    if (users.length > 0) {
      const names = users.map((service) => service.Spec.Name).join(', ');
      throw invalidArgument(
        `${this.noun} '${object.Spec.Name}' is in use by the following ${users.length === 1 ? 'service' : 'services'}: ${names}`,
      );
    }
    try {
      await this.state.propose([{ kind: 'delete', table: this.info.table, id: object.ID }]);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'not_found') {
        throw new SecretsError('not_found', `${this.noun} ${object.ID} not found`);
      }
      throw error;
    }
  }

  private checkNameFree(name: string): void {
    const taken = this.state.store.find(this.info.table, { by: 'name', value: name });
    if (taken.length > 0) throw this.alreadyExists(name);
  }

  private alreadyExists(name: string): SecretsError {
    return new SecretsError(
      'name_conflict',
      `rpc error: code = AlreadyExists desc = ${this.noun} ${name} already exists`,
    );
  }
}

function createChange(table: FileTable, object: { ID: string; Spec: CheckedSpec }): Change {
  return table === 'secrets'
    ? { kind: 'create', table, object }
    : { kind: 'create', table, object };
}

function updateChange(table: FileTable, object: FileObject, version: number): Change {
  return table === 'secrets'
    ? { kind: 'update', table, object: object as Secret, expectedVersion: version }
    : { kind: 'update', table, object: object as Config, expectedVersion: version };
}

function outOfSequence(): SecretsError {
  return new SecretsError('conflict', 'rpc error: code = Unknown desc = update out of sequence');
}
