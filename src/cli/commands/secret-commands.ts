// The bodies of `shoal secret ...` and `shoal config ...`, as docker 20.10's CLI runs them
// (cli/command/secret, cli/command/config): the same requests, tables, messages and exit codes.
// Both kinds share everything but a few words, the DRIVER column and the data a config shows.
import { readFileSync } from 'node:fs';
import { CliError } from '../connection.ts';
import { formatTable, parseTemplate } from '../template/index.ts';
import { type Daemon, DaemonError, filtersQuery, isNotFound } from './service/api.ts';
import { validateLabel } from './service/flag-validators.ts';
import { humanDuration, naturalLess } from './service/format.ts';

export type FileObjectKind = 'secret' | 'config';

/** Where a command's output goes, and the clock for "2 hours ago". */
export interface CommandIo {
  out(text: string): void;
  now(): number;
}

/** A secret or config as the API answers it. */
export interface FileObjectView {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string> | null;
    Data?: string;
    Driver?: { Name: string } | null;
    Templating?: { Name: string } | null;
  };
}

/** What the CLI reads of a secret at most: swarmkit refuses more than 500 KiB anyway. */
const SECRET_READ_BYTES_MAX = 2 * 500 * 1024;
const CONFIG_READ_BYTES_MAX = 2 * 1000 * 1024;

const TABLE_FORMATS: Record<FileObjectKind, string> = {
  secret: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
  config: 'table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
};
const HEADERS = {
  ID: 'ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  CreatedAt: 'CREATED',
  UpdatedAt: 'UPDATED',
  Labels: 'LABELS',
};

const PRETTY_TEMPLATES: Record<FileObjectKind, string> = {
  secret: `ID:              {{.ID}}
Name:              {{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Driver:            {{.Driver}}
Created at:        {{.CreatedAt}}
Updated at:        {{.UpdatedAt}}`,
  config: `ID:\t\t\t{{.ID}}
Name:\t\t\t{{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Created at:            \t{{.CreatedAt}}
Updated at:            \t{{.UpdatedAt}}
Data:
{{.Data}}`,
};

/** Go's time.Time.String() of an RFC 3339 UTC time: `2024-05-01 12:00:00.5 +0000 UTC`. */
export function goTimeString(rfc3339: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(rfc3339);
  if (match === null) return rfc3339;
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  return `${match[1]} ${match[2]}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

/** The fields docker's list formatter offers to `--format` templates. */
function listRow(object: FileObjectView, nowMs: number) {
  const labels = object.Spec.Labels ?? {};
  const ago = (time: string) => `${humanDuration(nowMs - Date.parse(time))} ago`;
  return {
    ID: object.ID,
    Name: object.Spec.Name,
    Driver: object.Spec.Driver?.Name ?? '',
    CreatedAt: ago(object.CreatedAt),
    UpdatedAt: ago(object.UpdatedAt),
    Labels: Object.entries(labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(','),
    Label: (name: string) => labels[name] ?? '',
  };
}

/** The fields of the `--pretty` templates. */
function prettyRow(object: FileObjectView) {
  return {
    ID: object.ID,
    Name: object.Spec.Name,
    Labels: object.Spec.Labels ?? {},
    Driver: object.Spec.Driver?.Name ?? '',
    CreatedAt: goTimeString(object.CreatedAt),
    UpdatedAt: goTimeString(object.UpdatedAt),
    Data: object.Spec.Data ? Buffer.from(object.Spec.Data, 'base64').toString('utf8') : '',
  };
}

export interface CreateOptions {
  labels: readonly string[];
  templateDriver?: string;
  driver?: string;
  /** Standard input, for `-`. */
  stdin: () => Buffer;
  readFile?: (path: string, bytesMax: number) => Buffer;
}

function readBounded(path: string, bytesMax: number): Buffer {
  const data = readFileSync(path);
  return data.length > bytesMax ? data.subarray(0, bytesMax) : data;
}

/** `secret create NAME [FILE|-]` / `config create NAME FILE|-`: POST /{kind}s/create. */
export async function runCreate(
  daemon: Daemon,
  kind: FileObjectKind,
  name: string,
  file: string | undefined,
  options: CreateOptions,
  io: CommandIo,
): Promise<void> {
  const labels: Record<string, string> = {};
  for (const label of options.labels) {
    let checked: string;
    try {
      checked = validateLabel(label);
    } catch (error) {
      throw new CliError(
        `invalid argument "${label}" for "-l, --label" flag: ${(error as Error).message}\nSee 'shoal ${kind} create --help'.`,
        125,
      );
    }
    const equals = checked.indexOf('=');
    labels[equals < 0 ? checked : checked.slice(0, equals)] =
      equals < 0 ? '' : checked.slice(equals + 1);
  }
  if (kind === 'secret' && options.driver && file) {
    throw new CliError('When using secret driver secret data must be empty');
  }
  const bytesMax = kind === 'secret' ? SECRET_READ_BYTES_MAX : CONFIG_READ_BYTES_MAX;
  let data: Buffer | undefined;
  if (file !== undefined && file !== '') {
    try {
      data =
        file === '-'
          ? options.stdin().subarray(0, bytesMax)
          : (options.readFile ?? readBounded)(file, bytesMax);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const reason =
        code === 'ENOENT' ? `open ${file}: no such file or directory` : (error as Error).message;
      throw new CliError(
        kind === 'secret' ? `Error reading content from "${file}": ${reason}` : reason,
      );
    }
  }
  const spec: Record<string, unknown> = { Name: name, Labels: labels };
  if (data !== undefined && data.length > 0) spec.Data = data.toString('base64');
  if (options.driver) spec.Driver = { Name: options.driver };
  if (options.templateDriver) spec.Templating = { Name: options.templateDriver };
  const response = await daemon.call<{ ID: string }>('POST', `/${kind}s/create`, { body: spec });
  io.out(`${response.ID}\n`);
}

export interface ListOptions {
  quiet: boolean;
  format?: string;
  filters: readonly string[];
}

/** docker's `-f name=value` filters, collected per name. */
function parseFilterFlags(
  values: readonly string[],
  kind: FileObjectKind,
): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals < 0) {
      throw new CliError(
        `invalid argument "${value}" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee 'shoal ${kind} ls --help'.`,
        125,
      );
    }
    const name = value.slice(0, equals).toLowerCase().trim();
    filters[name] = [...(filters[name] ?? []), value.slice(equals + 1)];
  }
  return filters;
}

/** `ls`: GET /{kind}s?filters, sorted by name as docker sorts them. */
export async function runList(
  daemon: Daemon,
  kind: FileObjectKind,
  options: ListOptions,
  io: CommandIo,
): Promise<void> {
  const filters = parseFilterFlags(options.filters, kind);
  const objects = await daemon.call<FileObjectView[]>('GET', `/${kind}s`, {
    query: { filters: filtersQuery(filters) },
  });
  objects.sort((a, b) =>
    naturalLess(a.Spec.Name, b.Spec.Name) ? -1 : naturalLess(b.Spec.Name, a.Spec.Name) ? 1 : 0,
  );
  let format = options.format ?? 'table';
  if (format === 'table') format = options.quiet ? '{{.ID}}' : TABLE_FORMATS[kind];
  const now = io.now();
  io.out(
    formatTable(
      objects.map((object) => listRow(object, now)),
      format,
      HEADERS,
    ),
  );
}

export interface InspectOptions {
  format?: string;
  pretty: boolean;
}

/**
 * `inspect`: GET /{kind}s/{ref} for each; what was found is printed (JSON by default), then the
 * errors ("Error: No such secret: x"), exit 1 — docker's inspect.Inspect.
 */
export async function runInspect(
  daemon: Daemon,
  kind: FileObjectKind,
  references: readonly string[],
  options: InspectOptions,
  io: CommandIo,
): Promise<void> {
  const found: FileObjectView[] = [];
  const errors: string[] = [];
  for (const reference of references) {
    try {
      found.push(
        await daemon.call<FileObjectView>('GET', `/${kind}s/${encodeURIComponent(reference)}`),
      );
    } catch (error) {
      if (isNotFound(error)) errors.push(`Error: No such ${kind}: ${reference}`);
      else if (error instanceof DaemonError) errors.push(error.message);
      else throw error;
    }
  }
  const pretty = options.pretty || options.format === 'pretty';
  if (pretty) {
    const template = parseTemplate(PRETTY_TEMPLATES[kind]);
    for (const object of found) io.out(`${template.execute(prettyRow(object))}\n`);
  } else if (options.format) {
    const template = parseTemplate(options.format);
    for (const object of found) io.out(`${template.execute(object)}\n`);
  } else {
    io.out(`${JSON.stringify(found, null, 4)}\n`);
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

/** `rm`: DELETE /{kind}s/{ref} for each, printing each removed reference; errors at the end. */
export async function runRemove(
  daemon: Daemon,
  kind: FileObjectKind,
  references: readonly string[],
  io: CommandIo,
): Promise<void> {
  const errors: string[] = [];
  for (const reference of references) {
    try {
      await daemon.call('DELETE', `/${kind}s/${encodeURIComponent(reference)}`);
      io.out(`${reference}\n`);
    } catch (error) {
      if (isNotFound(error)) errors.push(`Error: No such ${kind}: ${reference}`);
      else if (error instanceof DaemonError) errors.push(error.message);
      else throw error;
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}
