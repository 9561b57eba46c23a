// Shoal's `depends_on` for stacks (docker's stack deploy ignores it): every dependency must be
// a service of the stack, there must be no cycle, and `service_healthy` needs a dependency with
// a healthcheck (on Shoal a task with one is RUNNING only once healthy, so that is what the
// deploy command waits for). Answers the services in an order that puts dependencies first.
import type { Issues } from './issues.ts';
import type { ServiceModel } from './model.ts';

function hasHealthcheck(service: ServiceModel): boolean {
  const health = service.healthcheck;
  if (!health || health.disable) return false;
  return health.test !== undefined && health.test.length > 0 && health.test[0] !== 'NONE';
}

/** Checks dependencies; answers service names in dependency order (ties by name). */
export function dependencyOrder(
  services: ReadonlyMap<string, ServiceModel>,
  issues: Issues,
): string[] {
  const names = [...services.keys()].sort();
  const edges = new Map<string, string[]>();
  for (const name of names) {
    const service = services.get(name)!;
    const valid: string[] = [];
    for (const [dependency, detail] of service.dependsOn) {
      const path = `services.${name}.depends_on.${dependency}`;
      const target = services.get(dependency);
      if (!target) {
        issues.add(detail.at, path, `depends on undefined service "${dependency}"`);
      } else if (dependency === name) {
        issues.add(detail.at, path, 'a service cannot depend on itself');
      } else if (detail.condition === 'service_healthy' && !hasHealthcheck(target)) {
        issues.add(
          detail.at,
          path,
          `condition service_healthy needs a healthcheck on service "${dependency}"`,
        );
      } else {
        valid.push(dependency);
      }
    }
    edges.set(name, valid);
  }
  // Kahn's algorithm, always taking the smallest ready name so the order is stable.
  const remaining = new Map(names.map((name) => [name, edges.get(name)!.length]));
  const dependents = new Map<string, string[]>(names.map((name) => [name, []]));
  for (const [name, dependencies] of edges) {
    for (const dependency of dependencies) dependents.get(dependency)!.push(name);
  }
  const ready = names.filter((name) => remaining.get(name) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort();
    const next = ready.shift()!;
    order.push(next);
    for (const dependent of dependents.get(next)!) {
      const count = remaining.get(dependent)! - 1;
      remaining.set(dependent, count);
      if (count === 0) ready.push(dependent);
    }
  }
  if (order.length < names.length) {
    const cycle = findCycle(
      names.filter((name) => !order.includes(name)),
      edges,
    );
    const first = services.get(cycle[0]!)!;
    issues.add(
      first.dependsOn.get(cycle[1]!)?.at ?? first.at,
      `services.${cycle[0]}.depends_on.${cycle[1]}`,
      `dependency cycle: ${[...cycle, cycle[0]].join(' -> ')}`,
    );
  }
  return order;
}

/** One cycle among services that could not be ordered, starting at the smallest name. */
function findCycle(stuck: string[], edges: ReadonlyMap<string, string[]>): string[] {
  const inStuck = new Set(stuck);
  const path: string[] = [];
  let current = stuck.sort()[0]!;
  while (!path.includes(current)) {
    path.push(current);
    current = edges
      .get(current)!
      .filter((next) => inStuck.has(next))
      .sort()[0]!;
  }
  const cycle = path.slice(path.indexOf(current));
  const smallest = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(smallest), ...cycle.slice(0, smallest)];
}
