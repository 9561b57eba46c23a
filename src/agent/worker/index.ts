// The agent's worker: assigned tasks run through the runtime drivers.

export {
  existingMemoryRoot,
  isMemoryBacked,
  memoryBackedRoot,
  nodeFilesDir,
  RUN_FILES_DIR,
  SHM_FILES_DIR,
} from './memory-dir.ts';
export { expandTemplate, runSpecOf, taskName } from './run-spec.ts';
export { TaskFileStore, type TaskFileStoreOptions } from './task-file-store.ts';
export { type HeldObject, planTaskFiles, renderPayload, targetsOf } from './task-files.ts';
export { TaskRunner, type TaskRunnerContext } from './task-runner.ts';
export { MAX_TASKS_PER_NODE, TASKS_FILE, Worker, type WorkerOptions } from './worker.ts';
