// Ports of this node's tasks, as the routing mesh and the tasks see them.
//
// A container answers on its own address, so the mesh reaches its target ports directly. An
// exec task shares the host's network: each of its target ports gets a free loopback port of
// the host, told to the task in its environment (`SHOAL_PORT_<target>=<port>`, and `PORT` for
// the first), where the mesh then connects. Host-mode published ports are bound by the task
// itself (exec) or by the engine (docker). Assigned ports are kept in `ports.json` beside
// `tasks.json`, so an adopted task keeps its port across agent restarts.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runtimeOf } from '../../runtime/driver.ts';
import type { PortConfig, Task } from '../../store/index.ts';

export const PORTS_FILE = 'ports.json';
const LOOPBACK = '127.0.0.1';

function portsOf(task: Task): PortConfig[] {
  return task.Endpoint?.Ports ?? task.Endpoint?.Spec?.Ports ?? [];
}

/** A port the kernel says is free on loopback now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export class TaskPorts {
  /** Exec tasks' assigned ports: task → target port → host port. */
  private assigned = new Map<string, Record<string, number>>();
  private persisted = '';

  constructor(
    private readonly dir: string,
    private readonly log: (line: string) => void,
  ) {
    const file = join(dir, PORTS_FILE);
    if (!existsSync(file)) return;
    try {
      const text = readFileSync(file, 'utf8');
      this.assigned = new Map(Object.entries(JSON.parse(text) as Record<string, never>));
      this.persisted = text;
    } catch (error) {
      log(`agent: ignoring ${file}: ${(error as Error).message}`);
    }
  }

  /** Gives an exec task its loopback ports (once; kept across restarts). */
  async assign(task: Task): Promise<void> {
    if (!task.Spec.ContainerSpec || runtimeOf(task.Spec.ContainerSpec) !== 'exec') return;
    if (this.assigned.has(task.ID)) return;
    const ports: Record<string, number> = {};
    for (const port of portsOf(task)) {
      const key = String(port.TargetPort);
      if (key in ports) continue;
      ports[key] =
        port.PublishMode === 'host' && port.PublishedPort ? port.PublishedPort : await freePort();
    }
    if (Object.keys(ports).length === 0) return;
    this.assigned.set(task.ID, ports);
    this.persist();
  }

  /** Forgets tasks not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    let changed = false;
    for (const id of this.assigned.keys()) {
      if (keep.has(id)) continue;
      this.assigned.delete(id);
      changed = true;
    }
    if (changed) this.persist();
  }

  /** The environment an exec task is told its ports in. */
  env(taskId: string): string[] {
    const ports = this.assigned.get(taskId);
    if (ports === undefined) return [];
    const entries = Object.entries(ports);
    return [
      ...entries.map(([target, port]) => `SHOAL_PORT_${target}=${port}`),
      `PORT=${entries[0]![1]}`,
    ];
  }

  /** Host-mode published ports of a task. */
  hostPorts(task: Task): { target: number; published: number; protocol: PortConfig['Protocol'] }[] {
    return portsOf(task)
      .filter((port) => port.PublishMode === 'host' && port.PublishedPort)
      .map((port) => ({
        target: port.TargetPort,
        published: port.PublishedPort!,
        protocol: port.Protocol,
      }));
  }

  /** Where an exec task takes connections for `target`, if it was given a port for it. */
  execEndpoint(taskId: string, target: number): { host: string; port: number } | undefined {
    const port = this.assigned.get(taskId)?.[String(target)];
    return port === undefined ? undefined : { host: LOOPBACK, port };
  }

  private persist(): void {
    const text = JSON.stringify(Object.fromEntries(this.assigned));
    if (text === this.persisted) return;
    const file = join(this.dir, PORTS_FILE);
    try {
      writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      this.persisted = text;
    } catch (error) {
      this.log(`agent: cannot persist task ports: ${(error as Error).message}`);
    }
  }
}
