// New tasks of a service, as the orchestrators create them: the service's task template, its
// spec version and its annotations, in state 'new': the allocator (src/manager/allocator) gives
// them their network addresses and makes them 'pending' in the same batch, then the scheduler
// assigns them (for global services, whose node is fixed, after checking that node).
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
/** Swarmkit's message of a task waiting for the allocator. */
export const NEW_MESSAGE = 'created';

export function newTask(options: NewTaskOptions): ObjectInput<'tasks'> {
  const { service } = options;
  const task: ObjectInput<'tasks'> = {
    ID: options.id,
    Labels: {},
    Spec: structuredClone(service.Spec.TaskTemplate),
    ServiceID: service.ID,
    ServiceAnnotations: { Name: service.Spec.Name, Labels: { ...service.Spec.Labels } },
    Status: { Timestamp: options.timestamp, State: 'new', Message: NEW_MESSAGE },
    DesiredState: options.desiredState ?? 'running',
  };
  if (options.slot !== undefined) task.Slot = options.slot;
  if (options.nodeId !== undefined) task.NodeID = options.nodeId;
  if (service.Endpoint?.Ports !== undefined && service.Endpoint.Ports.length > 0) {
    task.Endpoint = structuredClone({ Spec: service.Endpoint.Spec, Ports: service.Endpoint.Ports });
  }
  if (service.SpecVersion !== undefined) task.SpecVersion = { ...service.SpecVersion };
  if (service.JobStatus !== undefined) task.JobIteration = { ...service.JobStatus.JobIteration };
  if (options.restartHistory !== undefined && options.restartHistory.length > 0) {
    task.RestartHistory = [...options.restartHistory];
  }
  return task;
}
