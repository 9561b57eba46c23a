// The specs of secrets and configs as the API receives them, checked with swarmkit's rules and
// wording (controlapi's validateSecretSpec / validateConfigSpec): names of 1-64 characters of
// [a-zA-Z0-9-_.] starting and ending with a letter or digit, data of 1 byte up to (not
// including) 500 KiB for secrets and 1000 KiB for configs. Data travels as base64, like Go's
// []byte in JSON. Templating names the template driver; Shoal renders `golang` only.

import type { Labels } from '../../store/index.ts';
import { invalidArgument, SecretsError } from './errors.ts';

/** swarmkit's validation.MaxSecretSize: data must be shorter than this. */
export const SECRET_DATA_BYTES_MAX = 500 * 1024;
/** swarmkit's controlapi.MaxConfigSize. */
export const CONFIG_DATA_BYTES_MAX = 1000 * 1024;
const NAME_LENGTH_MAX = 64;
const NAME_PATTERN = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LABELS_MAX = 1000;
/** The template drivers Shoal renders (Docker's `--template-driver golang`). */
export const TEMPLATE_DRIVERS: readonly string[] = ['golang'];

export type FileObjectKind = 'secret' | 'config';

/** A Docker Driver object: `{ "Name": "golang", "Options": {...} }`. */
export type DriverSpec = {
  Name: string;
  Options?: Record<string, string>;
};

/** A SecretSpec or ConfigSpec after the checks: data decoded length known, labels a map. */
export interface CheckedSpec {
  Name: string;
  Labels: Labels;
  /** Base64, as stored and sent. */
  Data: string;
  Templating?: DriverSpec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** swarmkit's validateConfigOrSecretAnnotations. */
export function checkName(name: unknown): string {
  if (name === undefined || name === null || name === '') {
    throw invalidArgument('name must be provided');
  }
  if (typeof name !== 'string' || name.length > NAME_LENGTH_MAX || !NAME_PATTERN.test(name)) {
    throw invalidArgument(
      'invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]',
    );
  }
  return name;
}

/** Labels as Docker sends them: absent, null or a map of strings. */
export function checkLabels(labels: unknown, kind: FileObjectKind): Labels {
  if (labels === undefined || labels === null) return {};
  if (!isRecord(labels)) throw new SecretsError('invalid_argument', `${kind} Labels must be a map`);
  const entries = Object.entries(labels);
  if (entries.length > LABELS_MAX) {
    throw new SecretsError('invalid_argument', `${kind} has more than ${LABELS_MAX} labels`);
  }
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new SecretsError('invalid_argument', `${kind} label ${key} must have a string value`);
    }
  }
  return { ...(labels as Labels) };
}

/** The decoded length of base64 `data`; 400 when it is not standard base64 with padding. */
export function base64Length(data: unknown, kind: FileObjectKind): number {
  if (data === undefined || data === null || data === '') return 0;
  if (typeof data !== 'string' || !BASE64_PATTERN.test(data)) {
    throw new SecretsError(
      'invalid_argument',
      `${kind} Data must be base64 (standard alphabet, with padding), as Docker clients send it`,
    );
  }
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

function checkTemplating(templating: unknown, kind: FileObjectKind): DriverSpec | undefined {
  if (templating === undefined || templating === null) return undefined;
  if (!isRecord(templating) || typeof templating.Name !== 'string') {
    throw new SecretsError('invalid_argument', `${kind} Templating must be {"Name": "golang"}`);
  }
  if (!TEMPLATE_DRIVERS.includes(templating.Name)) {
    throw new SecretsError(
      'invalid_argument',
      `unsupported template driver "${templating.Name}": Shoal renders ${TEMPLATE_DRIVERS.join(', ')} templates`,
    );
  }
  const options = templating.Options;
  if (options !== undefined && options !== null && !isRecord(options)) {
    throw new SecretsError('invalid_argument', `${kind} Templating.Options must be a map`);
  }
  return {
    Name: templating.Name,
    ...(isRecord(options) ? { Options: options as Record<string, string> } : {}),
  };
}

/** The checks of swarmkit's CreateSecret/CreateConfig, in its order; answers the spec to store. */
export function checkSpec(spec: unknown, kind: FileObjectKind): CheckedSpec {
  if (!isRecord(spec)) throw invalidArgument('invalid argument');
  const name = checkName(spec.Name);
  const labels = checkLabels(spec.Labels, kind);
  if (kind === 'secret' && spec.Driver !== undefined && spec.Driver !== null) {
    if (!isRecord(spec.Driver) || !spec.Driver.Name) {
      throw invalidArgument('secret driver must have a name');
    }
    throw invalidArgument(
      `secret driver ${String(spec.Driver.Name)} is not available: Shoal keeps secrets in the swarm, create the secret with its data`,
    );
  }
  const limit = kind === 'secret' ? SECRET_DATA_BYTES_MAX : CONFIG_DATA_BYTES_MAX;
  const length = base64Length(spec.Data, kind);
  if (length < 1 || length >= limit) {
    throw invalidArgument(`${kind} data must be larger than 0 and less than ${limit} bytes`);
  }
  const checked: CheckedSpec = { Name: name, Labels: labels, Data: spec.Data as string };
  const templating = checkTemplating(spec.Templating, kind);
  if (templating !== undefined) checked.Templating = templating;
  return checked;
}
