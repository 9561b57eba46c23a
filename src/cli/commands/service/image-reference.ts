// The bits of docker's distribution/reference the service commands need: the client tags an
// untagged image `:latest` before sending a spec (imageWithTagString), and tables show an
// image in its familiar form without its digest. Anything that is not a valid reference
// (Shoal's `exec:/path` images, for one) is left exactly as written.

interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-*)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** reference.ParseNormalizedNamed; undefined where docker reports an error. */
function parseNormalized(text: string): Reference | undefined {
  if (/^[a-f0-9]{64}$/.test(text)) return undefined;
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const slash = rest.indexOf('/');
  let domain = 'docker.io';
  let path = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!DOMAIN.test(domain)) return undefined;
  if (path === '' || !path.split('/').every((component) => PATH_COMPONENT.test(component))) {
    return undefined;
  }
  if (domain.length + 1 + path.length > 255) return undefined;
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

function familiarName(reference: Reference): string {
  if (reference.domain !== 'docker.io') return `${reference.domain}/${reference.path}`;
  const path = reference.path;
  return path.startsWith('library/') && path.split('/').length === 2 ? path.slice(8) : path;
}

function familiarString(reference: Reference): string {
  return `${familiarName(reference)}${reference.tag ? `:${reference.tag}` : ''}${
    reference.digest ? `@${reference.digest}` : ''
  }`;
}

/** What the docker client sends for an image: `nginx` → `nginx:latest`. */
export function imageWithTag(image: string): string {
  const reference = parseNormalized(image);
  if (!reference) return image;
  if (reference.tag === undefined && reference.digest === undefined) reference.tag = 'latest';
  return familiarString(reference);
}

/** How `service ls` and `service ps` show an image: tagged references lose their digest. */
export function displayImage(image: string): string {
  const reference = parseNormalized(image);
  if (!reference || reference.tag === undefined) return image;
  return familiarString({ domain: reference.domain, path: reference.path, tag: reference.tag });
}
