// Shared by the services tests: an API client per daemon and waits on services and tasks.
import { ApiClient } from '../src/api/index.ts';
import type { Service, ServiceSpec, Task } from '../src/store/index.ts';
import { type DaemonProcess, waitFor } from '../src/testkit/index.ts';

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
