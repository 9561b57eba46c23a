// `extends`: a service starts from another one, in the same file or in another, and its own
// keys are merged over it by the rules that merge `-c` files (merge.ts). As in docker compose,
// `depends_on` is never inherited (dependencies stay visible where they are declared), the
// service extended from another file is not part of the stack, and relative paths in any file
// are read from the first compose file's directory. Chains are followed to a bounded depth; a
// service that extends itself, directly or through others, is refused. (docker stack deploy
// refuses `extends` altogether; Shoal takes it as docker compose does.)
import { resolve } from 'node:path';
import type { LoadContext } from './load-service.ts';
import { mergeService } from './merge.ts';
import type { ComposeModel, ServiceModel } from './model.ts';

/** Services one chain of `extends` may pass through. */
export const EXTENDS_DEPTH_MAX = 16;

/**
 * Reads another compose file (`extends.file`) into a model: null where no such file exists,
 * undefined where it could not be read (its problems are reported).
 */
export type ModelLoader = (path: string, display: string) => ComposeModel | null | undefined;

/** Replaces every service of `model` (a file's own) that extends another by the merged one. */
export function applyExtends(
  context: LoadContext,
  model: ComposeModel,
  fileName: string,
  loadModel: ModelLoader,
): void {
  const others = new Map<string, ComposeModel | null | undefined>();
  const files = new Map<ComposeModel, string>([[model, fileName]]);
  const resolved = new Map<ServiceModel, ServiceModel | undefined>();

  const resolveService = (
    service: ServiceModel,
    owner: ComposeModel,
    chain: readonly string[],
  ): ServiceModel | undefined => {
    const reference = service.extends;
    if (reference === undefined) return service;
    if (resolved.has(service)) return resolved.get(service);
    const path = `services.${service.name}.extends`;
    const key = `${files.get(owner)}:${service.name}`;
    if (chain.includes(key)) {
      return context.reader.fail(
        reference.at,
        path,
        `circular reference: ${[...chain, key].join(' extends ')}`,
      );
    }
    if (chain.length >= EXTENDS_DEPTH_MAX) {
      return context.reader.fail(
        reference.at,
        path,
        `more than ${EXTENDS_DEPTH_MAX} services in one chain of extends`,
      );
    }
    let baseModel = owner;
    if (reference.file !== undefined) {
      const absolute = resolve(context.workingDir, reference.file);
      if (!others.has(absolute)) {
        const loaded = loadModel(absolute, reference.file);
        others.set(absolute, loaded);
        if (loaded) files.set(loaded, reference.file);
      }
      const other = others.get(absolute);
      if (other === null) {
        return context.reader.fail(reference.at, `${path}.file`, `cannot read ${reference.file}`);
      }
      if (other === undefined) return undefined;
      baseModel = other;
    }
    const base = baseModel.services.get(reference.service);
    if (base === undefined) {
      const where = reference.file === undefined ? 'this file' : reference.file;
      return context.reader.fail(
        reference.at,
        path,
        `cannot extend service "${reference.service}": no such service in ${where}`,
      );
    }
    const full = resolveService(base, baseModel, [...chain, key]);
    let merged: ServiceModel | undefined;
    if (full !== undefined) {
      const { extends: _, ...own } = service;
      merged = { ...mergeService({ ...full, dependsOn: new Map() }, own), at: service.at };
      merged.name = service.name;
    }
    resolved.set(service, merged);
    return merged;
  };

  for (const [name, service] of model.services) {
    const merged = resolveService(service, model, []);
    if (merged !== undefined) model.services.set(name, merged);
  }
}
