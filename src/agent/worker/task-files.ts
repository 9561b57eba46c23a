// What a task's secret and config files are, pure: where each goes (in the task's directory and
// in a container), with which owner and mode, and what it holds — the object's data, or for a
// templated one (Templating: golang) the data rendered with swarmkit's payload context:
//   {{ .Service.ID }} {{ .Service.Name }} {{ .Service.Labels }}
//   {{ .Node.ID }} {{ .Node.Hostname }} {{ .Node.Platform.Architecture }} {{ .Node.Platform.OS }}
//   {{ .Task.ID }} {{ .Task.Name }} {{ .Task.Slot }}
//   {{ env "NAME" }}       the task's ContainerSpec.Env value ('' when unset)
//   {{ secret "target" }}  the data of the task's secret mounted at that target
//   {{ config "target" }}  the data of the task's config mounted at that target
// Targets: a secret's relative target is under /run/secrets, a config's under /; an absolute
// target is used as it is. In the task's directory each file sits at its target's relative
// form; a target that would climb out of it is refused.
import { posix } from 'node:path';
import { parseTemplate } from '../../cli/template/index.ts';
import type { FileReference, Task } from '../../store/index.ts';
import { taskName } from './run-spec.ts';

export type FileKind = 'secret' | 'config';

/** A secret or config as the worker holds it (the assignment set's AssignedFileObject). */
export interface HeldObject {
  ID: string;
  Name: string;
  /** Base64. */
  Data: string;
  Templating?: { Name: string };
}

export interface TaskFacts {
  nodeId: string;
  hostname: string;
  platform: { Architecture: string; OS: string };
}

/** One file to write for a task. */
export interface PlannedFile {
  kind: FileKind;
  objectId: string;
  objectName: string;
  /** Path relative to the task's directory of its kind. */
  relativePath: string;
  /** Where a container sees it. */
  target: string;
  uid: number;
  gid: number;
  mode: number;
  /** What to write (rendered on call); undefined when the object is not held in memory. */
  content?: () => Buffer;
}

const SECRETS_MOUNT = '/run/secrets';
const DEFAULT_MODE = 0o444;

/** Where a reference's file goes, or an Error naming the bad target. */
export function targetsOf(kind: FileKind, name: string): { relativePath: string; target: string } {
  if (name === '' || name.includes('\0'))
    throw new Error(`${kind} target "${name}" is not a file name`);
  const absolute = name.startsWith('/');
  const relativePath = posix.normalize(name.replace(/^\/+/, ''));
  if (relativePath === '.' || relativePath === '..' || relativePath.startsWith('../')) {
    throw new Error(`${kind} target "${name}" leaves its directory`);
  }
  const target = absolute
    ? posix.normalize(name)
    : posix.join(kind === 'secret' ? SECRETS_MOUNT : '/', relativePath);
  return { relativePath, target };
}

function numeric(text: string | undefined, what: string): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new Error(`${what} "${text}" is not a number`);
  return Number(text);
}

function referencesOf(task: Task, kind: FileKind): FileReference[] {
  const container = task.Spec.ContainerSpec;
  return (kind === 'secret' ? container?.Secrets : container?.Configs) ?? [];
}

function idOf(reference: FileReference, kind: FileKind): string {
  return (kind === 'secret' ? reference.SecretID : reference.ConfigID) ?? '';
}

function nameOf(reference: FileReference, kind: FileKind): string {
  return (kind === 'secret' ? reference.SecretName : reference.ConfigName) ?? idOf(reference, kind);
}

/** Held objects by ID, per kind. */
export interface HeldObjects {
  secrets: ReadonlyMap<string, HeldObject>;
  configs: ReadonlyMap<string, HeldObject>;
}

/**
 * The task's files (references with a file target; a config targeting the runtime has none).
 * Content is left undefined for objects not held; templates are rendered with `facts` when
 * the content is asked for (a file already written is not rendered again).
 */
export function planTaskFiles(task: Task, facts: TaskFacts, held: HeldObjects): PlannedFile[] {
  const planned: PlannedFile[] = [];
  for (const kind of ['secret', 'config'] as const) {
    const objects = kind === 'secret' ? held.secrets : held.configs;
    for (const reference of referencesOf(task, kind)) {
      const file = reference.File;
      if (file === undefined) continue;
      const { relativePath, target } = targetsOf(kind, file.Name);
      const object = objects.get(idOf(reference, kind));
      const entry: PlannedFile = {
        kind,
        objectId: idOf(reference, kind),
        objectName: nameOf(reference, kind),
        relativePath,
        target,
        uid: numeric(file.UID, `${kind} ${file.Name} uid`),
        gid: numeric(file.GID, `${kind} ${file.Name} gid`),
        mode: file.Mode ?? DEFAULT_MODE,
      };
      if (object !== undefined) entry.content = () => contentOf(object, kind, task, facts, held);
      planned.push(entry);
    }
  }
  return planned;
}

function contentOf(
  object: HeldObject,
  kind: FileKind,
  task: Task,
  facts: TaskFacts,
  held: HeldObjects,
): Buffer {
  const data = Buffer.from(object.Data, 'base64');
  if (object.Templating === undefined) return data;
  try {
    return Buffer.from(renderPayload(data.toString('utf8'), task, facts, held), 'utf8');
  } catch (error) {
    throw new Error(`${kind} ${object.Name}: ${(error as Error).message}`);
  }
}

/** swarmkit's template.Context for a task, as payload templates see it. */
export function templateContext(task: Task, facts: TaskFacts) {
  return {
    Service: {
      ID: task.ServiceID,
      Name: task.ServiceAnnotations?.Name ?? '',
      Labels: { ...(task.ServiceAnnotations?.Labels ?? {}) },
    },
    Node: {
      ID: facts.nodeId,
      Hostname: facts.hostname,
      Platform: { ...facts.platform },
    },
    Task: {
      ID: task.ID,
      Name: taskName(task),
      Slot: String(task.Slot ?? task.NodeID ?? ''),
    },
  };
}

/** A templated payload rendered for the task (swarmkit's expandPayload). */
export function renderPayload(
  text: string,
  task: Task,
  facts: TaskFacts,
  held: HeldObjects,
): string {
  const dataAt = (kind: FileKind) => (target: string) => {
    const reference = referencesOf(task, kind).find((ref) => ref.File?.Name === target);
    if (reference === undefined) throw new Error(`${kind} target ${target} not found`);
    const objects = kind === 'secret' ? held.secrets : held.configs;
    const object = objects.get(idOf(reference, kind));
    if (object === undefined) throw new Error(`${kind} ${nameOf(reference, kind)} not found`);
    return Buffer.from(object.Data, 'base64').toString('utf8');
  };
  const env = (name: string) => {
    for (const entry of task.Spec.ContainerSpec?.Env ?? []) {
      const equals = entry.indexOf('=');
      if (equals > 0 && entry.slice(0, equals) === name) return entry.slice(equals + 1);
    }
    return '';
  };
  const template = parseTemplate(text, {
    name: 'expansion',
    missingKey: 'error',
    funcs: {
      secret: { params: ['string'], fn: dataAt('secret') },
      config: { params: ['string'], fn: dataAt('config') },
      env: { params: ['string'], fn: env },
    },
  });
  return template.execute(templateContext(task, facts));
}
