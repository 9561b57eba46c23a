// The short volume syntax (`data:/var/lib/data:ro`, `./site:/usr/share/nginx/html`, `/cache`),
// as docker's loader ParseVolume reads it: SOURCE:TARGET[:OPTIONS], a source starting with `.`,
// `/` or `~` is a bind mount, any other a named volume, a lone path an anonymous volume.

export interface ParsedVolume {
  type: 'volume' | 'bind';
  source?: string;
  target: string;
  readOnly?: boolean;
  nocopy?: boolean;
  propagation?: string;
}

export class VolumeSyntaxError extends Error {
  override name = 'VolumeSyntaxError';
}

export const PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];

export function parseVolumeSpec(spec: string): ParsedVolume {
  if (spec === '') throw new VolumeSyntaxError('invalid empty volume spec');
  const parts = spec.split(':');
  if (parts.some((part) => part === '')) {
    throw new VolumeSyntaxError(`invalid spec: ${spec}: empty section between colons`);
  }
  if (parts.length > 3) throw new VolumeSyntaxError(`invalid spec: ${spec}: too many colons`);
  if (parts.length === 1) return { type: 'volume', target: spec };
  const [source, target, options] = parts as [string, string, string | undefined];
  const volume: ParsedVolume = {
    type: /^[./~]/.test(source) ? 'bind' : 'volume',
    source,
    target,
  };
  for (const option of options?.split(',') ?? []) {
    if (option === 'ro') volume.readOnly = true;
    else if (option === 'rw') volume.readOnly = false;
    else if (option === 'nocopy') volume.nocopy = true;
    else if (PROPAGATIONS.includes(option)) volume.propagation = option;
    // Other options (z, Z, cached, delegated...) are ignored, as docker ignores them.
  }
  return volume;
}
