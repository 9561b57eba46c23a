// /secrets endpoints (and, through addFileObjectRoutes, /configs), shaped as the Docker Engine
// API (v1.41) answers them: list with filters id, label, name, names; create (201 {"ID"});
// inspect; update of labels at a version; delete (204). A secret's data is never answered (as
// Docker), a config's is.
import {
  FILE_OBJECT_FILTERS,
  type FileObject,
  FileObjectControl,
  type FileObjectKind,
} from '../../manager/secrets/index.ts';
import { BadRequestError } from '../errors.ts';
import { parseFilters, queryInt } from '../request.ts';
import { empty, json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';

/** What Docker shows of a secret or config: its Spec's fields in Docker's order. */
export function fileObjectView(object: FileObject, kind: FileObjectKind): unknown {
  const spec = object.Spec;
  return {
    ID: object.ID,
    Version: object.Version,
    CreatedAt: object.CreatedAt,
    UpdatedAt: object.UpdatedAt,
    Spec: {
      Name: spec.Name,
      Labels: spec.Labels ?? {},
      ...(kind === 'config' && spec.Data !== undefined ? { Data: spec.Data } : {}),
      ...(spec.Driver ? { Driver: spec.Driver } : {}),
      ...(spec.Templating ? { Templating: spec.Templating } : {}),
    },
  };
}

/** The five routes of `/secrets` or `/configs`. */
export function addFileObjectRoutes(
  router: Router,
  control: SwarmControl,
  newId: () => string,
  kind: FileObjectKind,
): void {
  const base = `/${kind}s`;
  const objects = () => new FileObjectControl(requireManager(control), kind, newId);

  router.get(base, (context) => {
    const filters = parseFilters(context.query, FILE_OBJECT_FILTERS);
    return json(
      200,
      objects()
        .list(filters)
        .map((object) => fileObjectView(object, kind)),
    );
  });

  router.post(`${base}/create`, async (context) => {
    const spec = await context.body();
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new BadRequestError(`a ${kind} spec (a JSON object) is required`);
    }
    return json(201, await objects().create(spec));
  });

  router.get(`${base}/{id}`, (context) => {
    return json(200, fileObjectView(objects().find(context.params.id!), kind));
  });

  router.post(`${base}/{id}/update`, async (context) => {
    let version: number | undefined;
    try {
      version = queryInt(context.query, 'version');
    } catch {
      version = undefined;
    }
    if (version === undefined || version < 0) throw new BadRequestError(`invalid ${kind} version`);
    const spec = (await context.body()) ?? {};
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new BadRequestError(`a ${kind} spec (a JSON object) is required`);
    }
    await objects().update(context.params.id!, version, spec);
    return empty(200);
  });

  router.delete(`${base}/{id}`, async (context) => {
    await objects().remove(context.params.id!);
    return empty(204);
  });
}

export function addSecretRoutes(router: Router, control: SwarmControl, newId: () => string): void {
  addFileObjectRoutes(router, control, newId, 'secret');
}
