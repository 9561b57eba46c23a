// Where this node's tasks answer, as the mesh connects to them: a container's address on its
// bridge with the task's port, or, for exec tasks, the loopback port the worker assigned.
// The worker implements it (it knows what runs); the mesh only asks.
import type { MeshProtocol } from './table.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export interface LocalEndpoints {
  /**
   * Where task `taskId` of this node takes connections for its `targetPort`, or why it cannot
   * now (not on this node, not running): the caller then tries another task.
   */
  endpoint(taskId: string, targetPort: number, protocol: MeshProtocol): Endpoint | string;
}
