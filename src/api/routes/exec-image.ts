// Exec images (`exec:/usr/bin/python3`, host programs run by the exec runtime) under a name the
// docker CLI accepts everywhere. `docker stack deploy` checks every compose image against
// Docker's reference grammar before it sends anything, and `exec:/...` is not a reference, so
// Shoal also reads `exec.shoal/usr/bin/python3` (a registry domain that names no registry) as
// `exec:/usr/bin/python3`. The CLI tags an untagged image `:latest` before sending it; that tag
// means nothing for a program and is dropped, any other tag or a digest is refused. Services are
// stored with the `exec:` form, so everything past the API sees one spelling.
import { BadRequestError } from '../errors.ts';

/** The registry domain that marks an exec image in reference form. */
export const EXEC_IMAGE_DOMAIN = 'exec.shoal';

const ALIAS_PREFIX = `${EXEC_IMAGE_DOMAIN}/`;
const DEFAULT_TAG = ':latest';

/** True for `exec.shoal/...` (with or without a tag). */
export function isExecImageAlias(image: string): boolean {
  return image.startsWith(ALIAS_PREFIX);
}

/**
 * `exec.shoal/bin/sleep` and `exec.shoal/bin/sleep:latest` are `exec:/bin/sleep`; any other
 * image is returned as it is. A program path is what follows the domain, made absolute.
 */
export function execImageOf(image: string): string {
  if (!isExecImageAlias(image)) return image;
  let path = image.slice(ALIAS_PREFIX.length);
  if (path.endsWith(DEFAULT_TAG)) path = path.slice(0, -DEFAULT_TAG.length);
  const lastSlash = path.lastIndexOf('/');
  if (path.includes('@') || path.indexOf(':', lastSlash + 1) >= 0) {
    throw new BadRequestError(
      `invalid exec image ${image}: an exec image names a program on each node and takes no tag or digest (write ${ALIAS_PREFIX}${path.split(/[:@]/, 1)[0]})`,
    );
  }
  if (path === '' || path.startsWith('/')) {
    throw new BadRequestError(
      `invalid exec image ${image}: name the program's absolute path after ${ALIAS_PREFIX}, e.g. ${ALIAS_PREFIX}usr/bin/python3`,
    );
  }
  return `exec:/${path}`;
}

/**
 * The service spec of a create or update request with an aliased exec image written in the
 * `exec:` form; anything that is not a spec with an image is returned untouched (the service
 * checks report it).
 */
export function withExecImage<T>(spec: T): T {
  if (typeof spec !== 'object' || spec === null) return spec;
  const template = (spec as { TaskTemplate?: unknown }).TaskTemplate;
  if (typeof template !== 'object' || template === null) return spec;
  const container = (template as { ContainerSpec?: unknown }).ContainerSpec;
  if (typeof container !== 'object' || container === null) return spec;
  const image = (container as { Image?: unknown }).Image;
  if (typeof image !== 'string' || !isExecImageAlias(image)) return spec;
  return {
    ...spec,
    TaskTemplate: { ...template, ContainerSpec: { ...container, Image: execImageOf(image) } },
  };
}
