// GET /distribution/{name}/json: what `docker service create` asks before it creates a service,
// to pin the image to a digest (and read its platforms). No registry is asked: the answer comes
// from this node's Docker Engine. The CLI pins `name@digest` when a digest comes back, keeps the
// name as written when the digest is empty, and warns ("could not be accessed on a registry to
// record its digest") then goes on when the request fails. So:
// - `exec:` images (host programs) have no digest, nor their reference form `exec.shoal/PATH`
//   (exec-image.ts): an empty one, no warning, nothing pinned;
// - an image the engine pulled from a registry: its registry digest (RepoDigests), so every
//   node runs the same image; no platforms, since one local image says nothing about the
//   other architectures a registry index may hold (a platform would wrongly constrain tasks);
// - a digest already in the name: that digest;
// - an image only built or loaded locally, or no engine: 404 with the reason; the CLI warns
//   and creates the service with the name as written (`--no-resolve-image` skips the request).
import type { EngineProxy } from '../engine-proxy.ts';
import { NotFoundError } from '../errors.ts';
import { json, type Router } from '../router.ts';
import { isExecImageAlias } from './exec-image.ts';

interface ImageInspect {
  RepoDigests?: string[] | null;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A docker-style name without registry `docker.io/` and `library/`, tag and digest. */
export function repositoryOf(reference: string): string {
  let name = reference.split('@', 1)[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  name = name.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  return name.replace(/^library\//, '');
}

function descriptor(digest: string) {
  return {
    Descriptor: { mediaType: '', digest, size: 0 },
    Platforms: [],
  };
}

/** The registry digest of `reference` recorded by the engine, if any. */
export function registryDigest(reference: string, image: ImageInspect): string | undefined {
  const repository = repositoryOf(reference);
  for (const entry of image.RepoDigests ?? []) {
    const at = entry.lastIndexOf('@');
    if (at < 0) continue;
    const digest = entry.slice(at + 1);
    if (repositoryOf(entry.slice(0, at)) === repository && DIGEST.test(digest)) return digest;
  }
  return undefined;
}

export function addDistributionRoutes(router: Router, engine: EngineProxy | undefined): void {
  router.get('/distribution/{name:.+}/json', async (context) => {
    const name = context.params.name!;
    if (name.startsWith('exec:') || isExecImageAlias(name)) return json(200, descriptor(''));
    const pinned = name.includes('@') ? name.slice(name.lastIndexOf('@') + 1) : undefined;
    if (pinned !== undefined && DIGEST.test(pinned)) return json(200, descriptor(pinned));
    const answer = await engine?.getJson(`/images/${encodeURIComponent(name)}/json`);
    if (answer === undefined || answer === null) {
      throw new NotFoundError(
        `cannot resolve ${name} to a digest: Shoal asks this node's Docker Engine, not a registry, and this node has none`,
      );
    }
    if (answer.status === 404) {
      throw new NotFoundError(
        `No such image: ${name} (Shoal resolves image digests from this node's Docker Engine, not from a registry)`,
      );
    }
    const digest =
      answer.status === 200 ? registryDigest(name, answer.body as ImageInspect) : undefined;
    if (digest === undefined) {
      throw new NotFoundError(
        `${name} has no registry digest on this node (it was built or loaded here): each node uses its own copy`,
      );
    }
    return json(200, descriptor(digest));
  });
}
