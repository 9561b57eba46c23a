// What `stack deploy` does to the swarm, decided without I/O: given the stack the compose files
// describe and the objects that exist, which networks to create, which services to create,
// update (only those whose spec changed) or leave alone, and which to prune. The deploy command
// (deploy.ts) lists the existing objects, calls these, and makes the requests.
import {
  LABEL_IMAGE,
  LABEL_NAMESPACE,
  type NetworkCreateRequest,
  type ServiceDependency,
  type StackService,
} from '../../../compose/index.ts';
import type { Service, ServiceSpec } from '../../../store/index.ts';

export const RESOLVE_IMAGE_MODES = ['always', 'changed', 'never'] as const;
export type ResolveImage = (typeof RESOLVE_IMAGE_MODES)[number];

export type ServiceStep =
  | { action: 'create'; name: string; spec: ServiceSpec; dependsOn: ServiceDependency[] }
  | {
      action: 'update';
      name: string;
      id: string;
      version: number;
      spec: ServiceSpec;
      dependsOn: ServiceDependency[];
    }
  | { action: 'unchanged'; name: string; id: string };

/** The stack's networks that do not exist yet (by name, among the stack's own networks). */
export function networksToCreate(
  desired: readonly NetworkCreateRequest[],
  existingNames: ReadonlySet<string>,
): NetworkCreateRequest[] {
  return desired.filter((network) => !existingNames.has(network.Name));
}

/** Services of the stack that the compose files no longer name, by name (docker's order). */
export function servicesToPrune(
  stack: string,
  desiredKeys: ReadonlySet<string>,
  existing: readonly Service[],
): Service[] {
  const prefix = `${stack}_`;
  return existing
    .filter((service) => {
      const name = service.Spec.Name;
      const key = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      return !desiredKeys.has(key);
    })
    .sort((a, b) => (a.Spec.Name < b.Spec.Name ? -1 : a.Spec.Name > b.Spec.Name ? 1 : 0));
}

/**
 * JSON with empty values dropped and keys sorted, so two specs that mean the same compare equal
 * whatever the daemon or the converter left out (absent, null, [] and {} are the same here).
 */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const entry = canonical((value as Record<string, unknown>)[key]);
    if (entry === undefined || entry === null) continue;
    if (Array.isArray(entry) && entry.length === 0) continue;
    if (typeof entry === 'object' && !Array.isArray(entry) && Object.keys(entry).length === 0)
      continue;
    result[key] = entry;
  }
  return result;
}

/** The daemon's defaults that a stored spec may carry and a converted one leaves out. */
function withoutDefaults(spec: ServiceSpec): ServiceSpec {
  const copy = structuredClone(spec);
  if (copy.TaskTemplate?.ForceUpdate === 0) delete copy.TaskTemplate.ForceUpdate;
  if (copy.EndpointSpec?.Mode === 'vip') delete copy.EndpointSpec.Mode;
  return copy;
}

export function sameSpec(left: ServiceSpec, right: ServiceSpec): boolean {
  return (
    JSON.stringify(canonical(withoutDefaults(left))) ===
    JSON.stringify(canonical(withoutDefaults(right)))
  );
}

/**
 * The spec to send for an existing service, as docker's deployServices prepares it: the image
 * the daemon pinned is kept while the compose file's image is unchanged (unless asked to
 * resolve it always), and ForceUpdate is kept so that an update does not restart tasks by itself.
 */
export function specForUpdate(
  desired: ServiceSpec,
  current: Service,
  resolveImage: ResolveImage,
): ServiceSpec {
  const spec = structuredClone(desired);
  const written = desired.TaskTemplate.ContainerSpec?.Image;
  const unchanged = written === current.Spec.Labels?.[LABEL_IMAGE];
  const currentImage = current.Spec.TaskTemplate.ContainerSpec?.Image;
  if (unchanged && resolveImage !== 'always' && spec.TaskTemplate.ContainerSpec && currentImage) {
    spec.TaskTemplate.ContainerSpec.Image = currentImage;
  }
  const force = current.Spec.TaskTemplate.ForceUpdate;
  if (force !== undefined) spec.TaskTemplate.ForceUpdate = force;
  else delete spec.TaskTemplate.ForceUpdate;
  return spec;
}

/**
 * One step per desired service, in the stack's order (dependencies first): create what does not
 * exist, update what differs, leave the rest. Shoal resolves no image digests (images are
 * local), so `--resolve-image` only decides whether a pinned image is kept; it never forces an
 * update of an unchanged service. `desired` carries specs whose references are
 * already resolved to IDs as the daemon stores them.
 */
export function planServices(
  desired: readonly StackService[],
  existing: readonly Service[],
  resolveImage: ResolveImage,
): ServiceStep[] {
  const byName = new Map(existing.map((service) => [service.Spec.Name, service]));
  return desired.map((service): ServiceStep => {
    const name = service.spec.Name;
    const current = byName.get(name);
    if (!current) {
      return { action: 'create', name, spec: service.spec, dependsOn: service.dependsOn };
    }
    const spec = specForUpdate(service.spec, current, resolveImage);
    if (sameSpec(spec, current.Spec)) {
      return { action: 'unchanged', name, id: current.ID };
    }
    return {
      action: 'update',
      name,
      id: current.ID,
      version: current.Version.Index,
      spec,
      dependsOn: service.dependsOn,
    };
  });
}

/** The label filter that finds a stack's objects (`com.docker.stack.namespace=NAME`). */
export function stackFilter(stack: string): Record<string, string[]> {
  return { label: [`${LABEL_NAMESPACE}=${stack}`] };
}
