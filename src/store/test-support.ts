// Builders of minimal valid objects and batches for the store's tests.
import type { Batch, Change, ObjectInput } from './batch.ts';
import type { TaskState } from './types.ts';

/** A distinct, valid timestamp per step number. */
export function timestampAt(step: number): string {
  return new Date(Date.UTC(2024, 0, 1) + step * 1000).toISOString();
}

export function batchOf(step: number, ...changes: Change[]): Batch {
  return { timestamp: timestampAt(step), changes };
}

export function serviceInput(id: string, name: string, replicas = 1): ObjectInput<'services'> {
  return {
    ID: id,
    Spec: {
      Name: name,
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
      Mode: { Replicated: { Replicas: replicas } },
    },
  };
}

export function taskInput(
  id: string,
  serviceId: string,
  nodeId: string | undefined,
  desiredState: TaskState = 'running',
): ObjectInput<'tasks'> {
  return {
    ID: id,
    Labels: {},
    Spec: { ContainerSpec: { Image: 'nginx' } },
    ServiceID: serviceId,
    Slot: 1,
    NodeID: nodeId,
    DesiredState: desiredState,
    Status: { Timestamp: timestampAt(0), State: 'new', Message: 'created' },
  };
}

export function nodeInput(id: string, hostname: string): ObjectInput<'nodes'> {
  return {
    ID: id,
    Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
    Description: {
      Hostname: hostname,
      Platform: { Architecture: 'aarch64', OS: 'linux' },
      Resources: { NanoCPUs: 4e9, MemoryBytes: 4 * 1024 ** 3 },
      Engine: { EngineVersion: '20.10.24', Labels: {} },
    },
    Status: { State: 'ready', Addr: '10.0.0.2' },
  };
}

export function createService(id: string, name: string, replicas = 1): Change {
  return { kind: 'create', table: 'services', object: serviceInput(id, name, replicas) };
}

export function createTask(id: string, serviceId: string, nodeId?: string): Change {
  return { kind: 'create', table: 'tasks', object: taskInput(id, serviceId, nodeId) };
}

/** A small deterministic generator (mulberry32) so workload tests replay exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
