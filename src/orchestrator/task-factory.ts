// New tasks of a service, as the orchestrators create them: the service's task template, its
// spec version and its annotations, in state 'pending' (waiting for the scheduler) or, for
// global services whose node is fixed, 'assigned'... after the scheduler's check.
import type { ObjectInput, Service, TaskState } from '../store/index.ts';

export interface NewTaskOptions {
  id: string;
  service: Service;
  /** Replicated and job tasks. */
  slot?: number;
  /** Global tasks: the node is fixed; the scheduler still checks that the task fits it. */
  nodeId?: string;
  /** 'ready' holds a restarted task back until its restart delay passed. */
  desiredState?: TaskState;
  timestamp: string;
  restartHistory?: string[];
}

export const PENDING_MESSAGE = 'pending task scheduling';

export function newTask(options: NewTaskOptions): ObjectInput<'tasks'> {
  const { service } = options;
  const task: ObjectInput<'tasks'> = {
    ID: options.id,
    Labels: {},
    Spec: structuredClone(service.Spec.TaskTemplate),
    ServiceID: service.ID,
    ServiceAnnotations: { Name: service.Spec.Name, Labels: { ...service.Spec.Labels } },
    Status: { Timestamp: options.timestamp, State: 'pending', Message: PENDING_MESSAGE },
    DesiredState: options.desiredState ?? 'running',
  };
  if (options.slot !== undefined) task.Slot = options.slot;
  if (options.nodeId !== undefined) task.NodeID = options.nodeId;
  if (service.SpecVersion !== undefined) task.SpecVersion = { ...service.SpecVersion };
  if (service.JobStatus !== undefined) task.JobIteration = { ...service.JobStatus.JobIteration };
  if (options.restartHistory !== undefined && options.restartHistory.length > 0) {
    task.RestartHistory = [...options.restartHistory];
  }
  return task;
}
