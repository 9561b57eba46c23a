// Shared by the services tests: an API client per daemon and waits on services and tasks.

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { ApiClient } from '../src/api/index.ts';
import type { Service, ServiceSpec, Task } from '../src/store/index.ts';
import {
  type DaemonProcess,
  type DaemonProcesses,
  daemonsForTest,
  freePorts,
  waitFor,
} from '../src/testkit/index.ts';

export class ClusterApi {
  readonly client: ApiClient;

  constructor(daemon: DaemonProcess) {
    this.client = new ApiClient({ socketPath: daemon.socket });
  }

  async create(spec: Partial<ServiceSpec> & { Name: string }): Promise<string> {
    const response = await this.client.request('POST', '/services/create', { body: spec });
    if (response.status !== 201)
      throw new Error(`create ${spec.Name}: ${response.status} ${response.text()}`);
    return response.json<{ ID: string }>().ID;
  }

  async service(id: string): Promise<Service> {
    return (await this.client.request('GET', `/services/${id}`)).json<Service>();
  }

  async update(
    id: string,
    change: (spec: ServiceSpec) => ServiceSpec,
    query: Record<string, string> = {},
  ) {
    const service = await this.service(id);
    return this.client.request('POST', `/services/${id}/update`, {
      query: { version: service.Version.Index, ...query },
      body: change(structuredClone(service.Spec)),
    });
  }

  async tasks(serviceId: string): Promise<Task[]> {
    const response = await this.client.request('GET', '/tasks', {
      query: { filters: JSON.stringify({ service: [serviceId] }) },
    });
    return response.json<Task[]>();
  }

  async remove(id: string): Promise<void> {
    await this.client.request('DELETE', `/services/${id}`);
  }

  /** Waits until `check` holds for the service's tasks; returns them. */
  async waitTasks(
    serviceId: string,
    what: string,
    check: (tasks: Task[]) => boolean,
    timeoutMs = 30_000,
  ) {
    let last: Task[] = [];
    try {
      return await waitFor(
        what,
        timeoutMs,
        async () => {
          last = await this.tasks(serviceId);
          return check(last) ? last : undefined;
        },
        100,
      );
    } catch (error) {
      const states = last.map(
        (t) =>
          `${t.Slot ?? t.NodeID}:${t.Status.State}/${t.DesiredState}${t.Status.Err ? ` (${t.Status.Err})` : ''}`,
      );
      throw new Error(`${(error as Error).message}; tasks: ${states.join(', ')}`);
    }
  }

  /** Removes every service and waits until no task is left (so tasks' processes stopped). */
  async removeAll(): Promise<void> {
    const services = (await this.client.request('GET', '/services')).json<Service[]>();
    for (const service of services) await this.remove(service.ID);
    await waitFor(
      'every task to be gone',
      60_000,
      async () => {
        const tasks = (await this.client.request('GET', '/tasks')).json<Task[]>();
        return tasks.length === 0 ? true : undefined;
      },
      200,
    );
  }

  close(): void {
    this.client.close();
  }
}

export const running = (tasks: Task[]) =>
  tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');

/**
 * Three daemons on 127.0.0.1-3 (stopped when the test ends): node-1 initializes a swarm with a
 * 1 s dispatcher heartbeat, the two others join it with the given role's token.
 */
export async function threeNodeCluster(
  t: TestContext,
  name: string,
  options: { daemonArgs: string[]; joinAs: 'worker' | 'manager' },
): Promise<{ cluster: DaemonProcesses; nodes: [DaemonProcess, DaemonProcess, DaemonProcess] }> {
  const cluster = daemonsForTest(t.after.bind(t), name);
  cluster.daemonArgs = options.daemonArgs;
  const [port] = await freePorts(1);
  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 3; i++) nodes.push(await cluster.add(i, port!));
  const [n1, n2, n3] = nodes as [DaemonProcess, DaemonProcess, DaemonProcess];
  await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', options.joinAs])).trim();
  for (const node of [n2, n3]) {
    const joined = await cluster.joinSwarm(node, token, n1.clusterAddr);
    assert.equal(joined.code, 0, joined.stderr);
  }
  return { cluster, nodes: [n1, n2, n3] };
}
