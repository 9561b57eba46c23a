// Docker Engine API versions: comparison as moby's api/types/versions does it, and the server
// side of negotiation (api/server/middleware/version.go).
import { BadRequestError } from './errors.ts';

/** The API version Docker 20.10 serves, and the one Shoal serves by default. */
export const DEFAULT_API_VERSION = '1.41';
/** The oldest API version dockerd accepts. */
export const MIN_API_VERSION = '1.12';

/**
 * Compares dotted versions numerically, segment by segment; a missing or non-numeric segment
 * counts as 0 (as moby's `versions.compare` with `strconv.Atoi`). Returns -1, 0 or 1.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const left = a.split('.');
  const right = b.split('.');
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const leftNumber = segmentValue(left[index]);
    const rightNumber = segmentValue(right[index]);
    if (leftNumber > rightNumber) return 1;
    if (leftNumber < rightNumber) return -1;
  }
  return 0;
}

function segmentValue(segment: string | undefined): number {
  if (segment === undefined || !/^[+-]?\d+$/.test(segment)) return 0;
  return Number.parseInt(segment, 10);
}

export function versionLessThan(a: string, b: string): boolean {
  return compareVersions(a, b) < 0;
}

export function versionGreaterThan(a: string, b: string): boolean {
  return compareVersions(a, b) > 0;
}

/** True when `version` is `minimum` or newer: how handlers gate version-dependent behaviour. */
export function versionAtLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}

/** The lower of two versions: what a client uses after pinging a server. */
export function minVersion(a: string, b: string): string {
  return versionLessThan(a, b) ? a : b;
}

/**
 * The version a request is served at: the one in its `/v1.xx/` prefix, or the server's own when
 * the path has none. Throws dockerd's 400 when it is outside [minimum, maximum].
 */
export function negotiateVersion(
  requested: string | undefined,
  minimum: string,
  maximum: string,
): string {
  const version = requested ?? maximum;
  if (versionLessThan(version, minimum)) {
    throw new BadRequestError(
      `client version ${version} is too old. Minimum supported API version is ${minimum}, ` +
        'please upgrade your client to a newer version',
    );
  }
  if (versionGreaterThan(version, maximum)) {
    throw new BadRequestError(
      `client version ${version} is too new. Maximum supported API version is ${maximum}`,
    );
  }
  return version;
}

/** Splits `/v1.41/nodes` into `{ version: '1.41', path: '/nodes' }` (dockerd's `/v{version:[0-9.]+}`). */
export function splitVersionPrefix(pathname: string): {
  version: string | undefined;
  path: string;
} {
  const match = /^\/v([0-9.]+)(\/.*)$/.exec(pathname);
  if (match === null) return { version: undefined, path: pathname };
  return { version: match[1], path: match[2]! };
}
