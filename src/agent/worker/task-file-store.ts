// The worker's secrets and configs: held in memory as the assignment sets bring them (replaced
// by each set, never persisted), and written per task into the node's memory-backed directory
// (memory-dir.ts) when the task is prepared:
//   <root>/<nodeId>/<taskId>/secrets/<target>   (dir 0700, handed to an exec task's user)
//   <root>/<nodeId>/<taskId>/configs/<target>
// A file already there is kept as it is (its inode stays what a container has bind-mounted; an
// object's data never changes). After an agent restart the persisted tasks come back without
// their objects, but their files are still in memory-backed storage and are used. A task's
// directory goes when the task is removed, the node's when it leaves the swarm. Data is never
// logged; errors name objects by name and ID only.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { AssignmentSet } from '../../manager/dispatcher/task-protocol.ts';
import type { TaskFiles } from '../../runtime/driver.ts';
import type { Task } from '../../store/index.ts';
import { existingMemoryRoot, memoryBackedRoot, nodeFilesDir } from './memory-dir.ts';
import { type HeldObject, type PlannedFile, planTaskFiles, type TaskFacts } from './task-files.ts';

/** Task IDs name directories: nothing that could leave the node's directory. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Files one task may have (far above any real service; references are bounded upstream too). */
const FILES_PER_TASK_MAX = 512;

export interface TaskFileStoreOptions {
  nodeId: string;
  /** The memory-backed root; default: chosen by memoryBackedRoot() when first needed. */
  root?: string;
  facts: () => TaskFacts;
  log: (line: string) => void;
}

export class TaskFileStore {
  private secrets = new Map<string, HeldObject>();
  private configs = new Map<string, HeldObject>();
  private omitted = new Set<string>();
  private root: string | undefined;

  constructor(private readonly options: TaskFileStoreOptions) {
    this.root = options.root;
  }

  /** Holds the set's objects in place of the last set's (the set is complete each time). */
  hold(set: AssignmentSet): void {
    this.secrets = new Map((set.secrets ?? []).map((object) => [object.ID, object]));
    this.configs = new Map((set.configs ?? []).map((object) => [object.ID, object]));
    this.omitted = new Set(set.omitted ?? []);
  }

  /**
   * Whether the task's files can be had now: each object is held, or its file was written
   * before (an agent restart resumes tasks before a manager sends their objects again).
   */
  available(task: Task): boolean {
    const container = task.Spec.ContainerSpec;
    if (!container?.Secrets?.length && !container?.Configs?.length) return true;
    try {
      const planned = planTaskFiles(task, this.options.facts(), {
        secrets: this.secrets,
        configs: this.configs,
      });
      const root = this.root ?? existingMemoryRoot();
      if (root === undefined) return planned.every((file) => file.content !== undefined);
      const dir = join(nodeFilesDir(root, this.options.nodeId), task.ID);
      return planned.every(
        (file) =>
          file.content !== undefined ||
          existsSync(join(dir, file.kind === 'secret' ? 'secrets' : 'configs', file.relativePath)),
      );
    } catch {
      return true; // a bad reference: materialise() says what is wrong
    }
  }

  /**
   * Writes the task's files (those not there yet) and answers where they are, or undefined when
   * the task has none. Throws an Error naming what is missing or wrong; nothing half-written
   * stays visible (each file is written beside and renamed into place).
   */
  materialise(task: Task): TaskFiles | undefined {
    const container = task.Spec.ContainerSpec;
    if (!container?.Secrets?.length && !container?.Configs?.length) return undefined;
    const planned = planTaskFiles(task, this.options.facts(), {
      secrets: this.secrets,
      configs: this.configs,
    });
    if (planned.length > FILES_PER_TASK_MAX) {
      throw new Error(
        `task has ${planned.length} secret and config files, at most ${FILES_PER_TASK_MAX}`,
      );
    }
    const dir = this.taskDir(task.ID);
    const files: TaskFiles = {
      secretsDir: join(dir, 'secrets'),
      configsDir: join(dir, 'configs'),
      entries: [],
    };
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    for (const kindDir of [files.secretsDir, files.configsDir]) {
      if (!existsSync(kindDir)) mkdirSync(kindDir, { mode: 0o700 });
    }
    for (const file of planned) {
      const source = join(
        file.kind === 'secret' ? files.secretsDir : files.configsDir,
        file.relativePath,
      );
      if (!existsSync(source)) this.write(source, file);
      files.entries.push({
        kind: file.kind,
        source,
        target: file.target,
        uid: file.uid,
        gid: file.gid,
        mode: file.mode,
      });
    }
    return files;
  }

  /** Removes the task's files (the task was removed from this node). */
  remove(taskId: string): void {
    if (this.root === undefined || !TASK_ID.test(taskId)) return;
    rmSync(join(nodeFilesDir(this.root, this.options.nodeId), taskId), {
      recursive: true,
      force: true,
    });
  }

  /** Removes the files of every task not in `keep` (tasks removed while the agent was away). */
  retain(keep: ReadonlySet<string>): void {
    const dir = this.nodeDirIfKnown();
    if (dir === undefined || !existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (keep.has(name)) continue;
      this.options.log(
        `agent: removing the secret and config files of task ${name}, no longer assigned`,
      );
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }

  /** Removes every file of this node (it leaves the swarm) and forgets the objects. */
  removeAll(): void {
    this.secrets.clear();
    this.configs.clear();
    this.omitted.clear();
    const dir = this.nodeDirIfKnown();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }

  /** The node's directory when it may exist (a root was chosen, or a known one has it). */
  private nodeDirIfKnown(): string | undefined {
    if (this.root !== undefined) return nodeFilesDir(this.root, this.options.nodeId);
    const root = existingMemoryRoot();
    return root === undefined ? undefined : nodeFilesDir(root, this.options.nodeId);
  }

  private taskDir(taskId: string): string {
    if (!TASK_ID.test(taskId)) throw new Error(`invalid task ID ${JSON.stringify(taskId)}`);
    this.root ??= memoryBackedRoot({ log: this.options.log });
    const nodeDir = nodeFilesDir(this.root, this.options.nodeId);
    mkdirSync(nodeDir, { recursive: true, mode: 0o711 });
    return join(nodeDir, taskId);
  }

  private write(path: string, file: PlannedFile): void {
    if (file.content === undefined) {
      const why = this.omitted.has(file.objectId)
        ? ': the assignment set reached its bound on secret and config data'
        : '';
      throw new Error(
        `${file.kind} ${file.objectName} (${file.objectId}) is not available on this node${why}`,
      );
    }
    const content = file.content();
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, content, { mode: 0o600 });
      if (process.getuid?.() === 0) chownSync(temporary, file.uid, file.gid);
      chmodSync(temporary, file.mode);
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new Error(
        `writing ${file.kind} ${file.objectName} for the task: ${(error as Error).message}`,
      );
    }
  }
}
