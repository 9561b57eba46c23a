// A service's references to secrets and configs (ContainerSpec.Secrets / Configs), checked as
// swarmkit's controlapi does on service create and update: each names its object and a target,
// no two share a target file, and every object exists (with the name the reference gives). Beyond
// Docker, a reference may name its object by name only (or ID only): the missing half is filled
// in from the store, so API clients need not look IDs up first as the docker CLI does.

import type { ContainerSpec, FileReference, ServiceSpec, Store } from '../../store/index.ts';
import { invalidArgument } from './errors.ts';
import type { FileObjectKind } from './spec.ts';

/** References of one kind a service may carry (far above any real service). */
export const REFERENCES_MAX = 256;

const KEYS = {
  secret: { list: 'Secrets', id: 'SecretID', name: 'SecretName', table: 'secrets' },
  config: { list: 'Configs', id: 'ConfigID', name: 'ConfigName', table: 'configs' },
} as const;

function referencesOf(container: ContainerSpec | undefined, kind: FileObjectKind): unknown[] {
  const value = container?.[KEYS[kind].list];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalidArgument(`ContainerSpec: ${KEYS[kind].list} must be a list`);
  if (value.length > REFERENCES_MAX) {
    throw invalidArgument(
      `ContainerSpec: ${value.length} ${kind} references, at most ${REFERENCES_MAX} allowed`,
    );
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * swarmkit's validateSecretRefsSpec / validateConfigRefsSpec, for what needs no store: every
 * reference names its object (ID or name) and a target; file targets have a name, distinct per
 * kind; UID and GID are numeric strings, Mode at most 0777, and no target climbs out with `..`. Configs may target the runtime.
 */
export function checkReferenceShapes(container: ContainerSpec | undefined): void {
  for (const kind of ['secret', 'config'] as const) {
    const keys = KEYS[kind];
    const targets = new Map<string, string>();
    for (const reference of referencesOf(container, kind)) {
      if (!isRecord(reference)) throw invalidArgument(`malformed ${kind} reference`);
      const id = reference[keys.id];
      const name = reference[keys.name];
      if ((typeof id !== 'string' || id === '') && (typeof name !== 'string' || name === '')) {
        throw invalidArgument(`malformed ${kind} reference`);
      }
      const file = reference.File;
      const runtime = reference.Runtime;
      if (file === undefined || file === null) {
        if (kind === 'config' && isRecord(runtime)) continue;
        throw invalidArgument(`malformed ${kind} reference, no target provided`);
      }
      if (!isRecord(file) || typeof file.Name !== 'string' || file.Name === '') {
        throw invalidArgument(
          `malformed file ${kind} reference, invalid target file name provided`,
        );
      }
      checkFileTarget(file, kind);
      const label = String(name ?? id);
      const previous = targets.get(file.Name);
      if (previous !== undefined) {
        throw invalidArgument(
          `${kind} references '${previous}' and '${label}' have a conflicting target: '${file.Name}'`,
        );
      }
      targets.set(file.Name, label);
    }
  }
}

function checkFileTarget(file: Record<string, unknown>, kind: FileObjectKind): void {
  const name = file.Name as string;
  if (name.split('/').some((part) => part === '..') || name.includes('\0')) {
    throw invalidArgument(`malformed file ${kind} reference, target ${name} leaves its directory`);
  }
  for (const key of ['UID', 'GID'] as const) {
    const value = file[key];
    if (value !== undefined && (typeof value !== 'string' || !/^\d*$/.test(value))) {
      throw invalidArgument(`${kind} target ${name}: ${key} must be a numeric string`);
    }
  }
  const mode = file.Mode;
  if (
    mode !== undefined &&
    !(Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= 0o777)
  ) {
    throw invalidArgument(`${kind} target ${name}: Mode must be a permission mode (0 to 0777)`);
  }
}

/**
 * The spec with every reference's object ID and name filled in from the store. Refused with
 * swarmkit's "secret not found: NAME" (InvalidArgument, 400) listing each reference whose object
 * does not exist or whose name does not match it. Shapes are checked first.
 */
export function resolveReferences(spec: ServiceSpec, store: Store): ServiceSpec {
  const container = spec.TaskTemplate?.ContainerSpec;
  checkReferenceShapes(container);
  if (container === undefined) return spec;
  const resolved: ContainerSpec = { ...container };
  for (const kind of ['secret', 'config'] as const) {
    const keys = KEYS[kind];
    const references = referencesOf(container, kind) as FileReference[];
    if (references.length === 0) continue;
    const missing: string[] = [];
    const filled = references.map((reference) => {
      const found = lookUp(store, kind, reference[keys.id], reference[keys.name]);
      if (found === undefined) {
        missing.push(reference[keys.name] ?? reference[keys.id] ?? '');
        return reference;
      }
      return { ...reference, [keys.id]: found.ID, [keys.name]: found.Spec.Name };
    });
    if (missing.length > 0) {
      const noun = missing.length === 1 ? kind : `${kind}s`;
      throw invalidArgument(`${noun} not found: ${missing.join(', ')}`);
    }
    resolved[keys.list] = filled;
  }
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: resolved } };
}

function lookUp(
  store: Store,
  kind: FileObjectKind,
  id: string | undefined,
  name: string | undefined,
): { ID: string; Spec: { Name: string } } | undefined {
  const table = KEYS[kind].table;
  if (id) {
    const object = store.get(table, id);
    if (object === undefined || (name && object.Spec.Name !== name)) return undefined;
    return object;
  }
  if (!name) return undefined;
  return store.find(table, { by: 'name', value: name }).find((o) => o.Spec.Name === name);
}
