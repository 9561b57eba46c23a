// Variable interpolation in compose values: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or
// empty), `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (required),
// `${VAR:+other}` / `${VAR+other}` (replacement), and `$$` for a literal `$`. Defaults may nest
// further variables, as the compose specification allows. Keys are never interpolated, values
// everywhere are (extension fields included), as docker's loader does.
//
// Values that were interpolated at the places where the file format wants a number or a boolean
// (`deploy.replicas: ${REPLICAS}`) are converted, as docker's interpolateTypeCastMapping does;
// a literal `replicas: "3"` is not.
import type { Issues } from './issues.ts';
import type { MapNode, Scalar, TreeNode } from './yaml-tree.ts';

/** Answers a variable's value, or undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const NAME_START = /[_a-zA-Z]/;
const NAME_PART = /[_a-zA-Z0-9]/;

function invalid(template: string): TemplateError {
  return new TemplateError(
    `invalid interpolation format in "${template}": you may need to escape any $ with another $`,
  );
}

/** Substitutes the variables in one string. Throws TemplateError. */
export function substitute(template: string, lookup: Lookup): string {
  let result = '';
  let index = 0;
  while (index < template.length) {
    const dollar = template.indexOf('$', index);
    if (dollar < 0) {
      result += template.slice(index);
      break;
    }
    result += template.slice(index, dollar);
    const next = template[dollar + 1];
    if (next === '$') {
      result += '$';
      index = dollar + 2;
    } else if (next === '{') {
      const close = matchingBrace(template, dollar + 2);
      if (close < 0) throw invalid(template);
      result += expandBraced(template.slice(dollar + 2, close), template, lookup);
      index = close + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let end = dollar + 2;
      while (end < template.length && NAME_PART.test(template[end]!)) end++;
      result += lookup(template.slice(dollar + 1, end)) ?? '';
      index = end;
    } else {
      throw invalid(template);
    }
  }
  return result;
}

/** The index of the `}` closing a `${` whose body starts at `start`, nesting counted. */
function matchingBrace(text: string, start: number): number {
  let depth = 1;
  for (let index = start; index < text.length; index++) {
    const character = text[index];
    if (character === '$' && text[index + 1] === '$') {
      index++;
    } else if (character === '$' && text[index + 1] === '{') {
      depth++;
      index++;
    } else if (character === '}') {
      depth--;
      if (depth === 0) return index;
    }
  }
  return -1;
}

const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;

function expandBraced(body: string, template: string, lookup: Lookup): string {
  let end = 0;
  if (!NAME_START.test(body[0] ?? '')) throw invalid(template);
  while (end < body.length && NAME_PART.test(body[end]!)) end++;
  const name = body.slice(0, end);
  const rest = body.slice(end);
  if (rest === '') return lookup(name) ?? '';
  const operator = OPERATORS.find((candidate) => rest.startsWith(candidate));
  if (!operator) throw invalid(template);
  const argument = rest.slice(operator.length);
  const value = lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (operator) {
    case ':-':
      return nonEmpty ? value : substitute(argument, lookup);
    case '-':
      return set ? value : substitute(argument, lookup);
    case ':+':
      return nonEmpty ? substitute(argument, lookup) : '';
    case '+':
      return set ? substitute(argument, lookup) : '';
    case ':?':
    case '?': {
      if (operator === ':?' ? nonEmpty : set) return value!;
      const message = substitute(argument, lookup);
      throw new TemplateError(
        `required variable ${name} is missing a value${message === '' ? '' : `: ${message}`}`,
      );
    }
  }
}

type Cast = 'integer' | 'number' | 'boolean';

/** Where an interpolated string becomes a number or boolean: `*` any key, `[]` any list item. */
const CASTS: readonly [string, Cast][] = [
  ['services.*.configs.[].mode', 'integer'],
  ['services.*.secrets.[].mode', 'integer'],
  ['services.*.healthcheck.retries', 'integer'],
  ['services.*.healthcheck.disable', 'boolean'],
  ['services.*.deploy.replicas', 'integer'],
  ['services.*.deploy.update_config.parallelism', 'integer'],
  ['services.*.deploy.update_config.max_failure_ratio', 'number'],
  ['services.*.deploy.rollback_config.parallelism', 'integer'],
  ['services.*.deploy.rollback_config.max_failure_ratio', 'number'],
  ['services.*.deploy.restart_policy.max_attempts', 'integer'],
  ['services.*.deploy.placement.max_replicas_per_node', 'integer'],
  ['services.*.deploy.resources.limits.pids', 'integer'],
  ['services.*.ports.[].target', 'integer'],
  ['services.*.ports.[].published', 'integer'],
  ['services.*.ulimits.*', 'integer'],
  ['services.*.ulimits.*.hard', 'integer'],
  ['services.*.ulimits.*.soft', 'integer'],
  ['services.*.init', 'boolean'],
  ['services.*.privileged', 'boolean'],
  ['services.*.read_only', 'boolean'],
  ['services.*.stdin_open', 'boolean'],
  ['services.*.tty', 'boolean'],
  ['services.*.volumes.[].read_only', 'boolean'],
  ['services.*.volumes.[].volume.nocopy', 'boolean'],
  ['services.*.volumes.[].tmpfs.size', 'integer'],
  ['services.*.depends_on.*.required', 'boolean'],
  ['networks.*.external', 'boolean'],
  ['networks.*.internal', 'boolean'],
  ['networks.*.attachable', 'boolean'],
  ['volumes.*.external', 'boolean'],
  ['secrets.*.external', 'boolean'],
  ['configs.*.external', 'boolean'],
].map(([pattern, cast]) => [pattern!, cast as Cast]);

type Segment = string | number;

function castFor(path: readonly Segment[]): Cast | undefined {
  for (const [pattern, cast] of CASTS) {
    const parts = pattern.split('.');
    if (parts.length !== path.length) continue;
    const matches = parts.every((part, index) => {
      const segment = path[index];
      if (part === '[]') return typeof segment === 'number';
      if (typeof segment !== 'string') return false;
      return part === '*' || part === segment;
    });
    if (matches) return cast;
  }
  return undefined;
}

function castValue(text: string, cast: Cast): Scalar {
  const trimmed = text.trim();
  if (cast === 'integer') {
    if (!/^[+-]?\d+$/.test(trimmed)) throw new TemplateError(`must be an integer, not "${text}"`);
    return Number(trimmed);
  }
  if (cast === 'number') {
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(value))
      throw new TemplateError(`must be a number, not "${text}"`);
    return value;
  }
  const lower = trimmed.toLowerCase();
  if (['y', 'yes', 'true', 'on'].includes(lower)) return true;
  if (['n', 'no', 'false', 'off'].includes(lower)) return false;
  throw new TemplateError(`must be a boolean, not "${text}"`);
}

export function pathText(path: readonly Segment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

/**
 * A copy of the tree with every string value interpolated. Problems go to `issues` (the value
 * is kept as written so loading can go on and find more).
 */
export function interpolateTree(root: MapNode, lookup: Lookup, issues: Issues): MapNode {
  const walk = (node: TreeNode, path: Segment[]): TreeNode => {
    if (node.kind === 'map') {
      return {
        ...node,
        entries: node.entries.map((entry) => ({
          ...entry,
          value: walk(entry.value, [...path, entry.key]),
        })),
      };
    }
    if (node.kind === 'seq') {
      return { ...node, items: node.items.map((item, index) => walk(item, [...path, index])) };
    }
    if (typeof node.value !== 'string' || !node.value.includes('$')) return node;
    try {
      const text = substitute(node.value, lookup);
      if (text === node.value) return node;
      const cast = castFor(path);
      return { ...node, value: cast ? castValue(text, cast) : text };
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      issues.add(node.at, pathText(path), error.message);
      issues.suppress(node.at);
      return node;
    }
  };
  return walk(root, []) as MapNode;
}
