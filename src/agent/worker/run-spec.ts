// From an assigned task to what a runtime driver runs: the container name and labels swarm
// uses, and the hostname template expanded ({{.Service.Name}}, {{.Task.Slot}}, ...).
import type { RunSpec } from '../../runtime/driver.ts';
import type { Task } from '../../store/index.ts';

export interface NodeFacts {
  nodeId: string;
  hostname: string;
}

/** swarm's container name: `<service>.<slot>.<task id>`, or `<service>.<node id>.<task id>`. */
export function taskName(task: Task): string {
  const service = task.ServiceAnnotations?.Name ?? task.ServiceID;
  return `${service}.${task.Slot ?? task.NodeID ?? ''}.${task.ID}`;
}

/** The value of `.A.B` in a hostname template, or undefined for an unknown field. */
function templateValue(path: string, task: Task, node: NodeFacts): string | undefined {
  const values: Record<string, string> = {
    'Service.ID': task.ServiceID,
    'Service.Name': task.ServiceAnnotations?.Name ?? '',
    'Node.ID': node.nodeId,
    'Node.Hostname': node.hostname,
    'Task.ID': task.ID,
    'Task.Name': taskName(task),
    'Task.Slot': String(task.Slot ?? task.NodeID ?? ''),
  };
  return values[path];
}

/** Expands swarm's placeholders ({{.Task.Slot}}...) the way swarmkit's template package does. */
export function expandTemplate(text: string, task: Task, node: NodeFacts): string {
  return text.replace(/\{\{\s*\.([A-Za-z]+\.[A-Za-z]+)\s*\}\}/g, (whole, path: string) => {
    return templateValue(path, task, node) ?? whole;
  });
}

export function runSpecOf(task: Task, node: NodeFacts): RunSpec {
  const container = structuredClone(task.Spec.ContainerSpec);
  if (container === undefined) throw new Error(`task ${task.ID} has no container spec`);
  if (container.Hostname) container.Hostname = expandTemplate(container.Hostname, task, node);
  if (container.Env) container.Env = container.Env.map((e) => expandTemplate(e, task, node));
  const serviceName = task.ServiceAnnotations?.Name ?? '';
  const labels: Record<string, string> = {
    ...(container.Labels ?? {}),
    'com.docker.swarm.node.id': node.nodeId,
    'com.docker.swarm.service.id': task.ServiceID,
    'com.docker.swarm.service.name': serviceName,
    'com.docker.swarm.task': '',
    'com.docker.swarm.task.id': task.ID,
    'com.docker.swarm.task.name': taskName(task),
  };
  const namespace = task.ServiceAnnotations?.Labels['com.docker.stack.namespace'];
  if (namespace !== undefined) labels['com.docker.stack.namespace'] = namespace;
  const spec: RunSpec = {
    taskId: task.ID,
    name: taskName(task),
    serviceId: task.ServiceID,
    serviceName,
    nodeId: node.nodeId,
    container,
    labels,
  };
  if (task.Slot !== undefined) spec.slot = task.Slot;
  if (task.Spec.Resources !== undefined) spec.resources = task.Spec.Resources;
  return spec;
}
