// The agent's worker: assigned tasks run through the runtime drivers.
export { expandTemplate, runSpecOf, taskName } from './run-spec.ts';
export { TaskRunner, type TaskRunnerContext } from './task-runner.ts';
export { MAX_TASKS_PER_NODE, TASKS_FILE, Worker, type WorkerOptions } from './worker.ts';
