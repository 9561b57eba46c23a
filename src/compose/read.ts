// Typed reads of tree values with compose's schema rules (docker's config_schema_v3.x): each
// read answers the value, or undefined after recording an issue that names the key's place.
// The wording follows docker's schema errors ("must be a string", "additional property ... is
// not allowed") with the key path in front.

import type { Issues, Location } from './issues.ts';
import { parseBytes, parseDuration, UnitError } from './units.ts';
import type { MapNode, Scalar, TreeNode } from './yaml-tree.ts';

export type FieldReader = (node: TreeNode, path: string) => void;

export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function itemPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

function describe(value: Scalar | undefined, node: TreeNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (value === null) return 'null';
  // Quoted as Go's %q would: a value with a newline stays on its message's line.
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function distance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const found = distance(word, candidate);
    if (found < bestDistance) {
      best = candidate;
      bestDistance = found;
    }
  }
  return best;
}

export class Reader {
  constructor(readonly issues: Issues) {}

  fail(at: Location, path: string, message: string): undefined {
    this.issues.add(at, path, message);
    return undefined;
  }

  private wrongType(node: TreeNode, path: string, expected: string): undefined {
    const value = node.kind === 'scalar' ? node.value : undefined;
    return this.fail(node.at, path, `must be ${expected}, not ${describe(value, node)}`);
  }

  /**
   * Reads a mapping whose keys are known: each known key goes to its reader, `x-` keys are
   * allowed where the format allows extensions, any other key is an issue at its place.
   */
  fields(
    node: TreeNode,
    path: string,
    readers: Readonly<Record<string, FieldReader>>,
    options: { extensions?: boolean; nullable?: boolean } = {},
  ): MapNode | undefined {
    if (options.nullable && node.kind === 'scalar' && node.value === null) return undefined;
    const map = this.map(node, path);
    if (!map) return undefined;
    for (const entry of map.entries) {
      const reader = Object.hasOwn(readers, entry.key) ? readers[entry.key] : undefined;
      if (reader) {
        reader(entry.value, childPath(path, entry.key));
      } else if (!(options.extensions && entry.key.startsWith('x-'))) {
        const hint = closest(entry.key, Object.keys(readers));
        this.fail(
          entry.keyAt,
          path,
          `additional property ${entry.key} is not allowed${hint ? ` (did you mean ${hint}?)` : ''}`,
        );
      }
    }
    return map;
  }

  map(node: TreeNode, path: string): MapNode | undefined {
    return node.kind === 'map' ? node : this.wrongType(node, path, 'a mapping');
  }

  string(node: TreeNode, path: string): string | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
    return this.wrongType(node, path, 'a string');
  }

  /** A string or a number, as text (Go's fmt.Sprint of the number). */
  text(node: TreeNode, path: string): string | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
    if (node.kind === 'scalar' && typeof node.value === 'number') return String(node.value);
    return this.wrongType(node, path, 'a string or a number');
  }

  boolean(node: TreeNode, path: string): boolean | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
    return this.wrongType(node, path, 'a boolean');
  }

  number(node: TreeNode, path: string): number | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'number') return node.value;
    return this.wrongType(node, path, 'a number');
  }

  integer(node: TreeNode, path: string, minimum?: number): number | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isInteger(node.value))
      return this.wrongType(node, path, 'an integer');
    if (!Number.isSafeInteger(node.value)) return this.fail(node.at, path, 'is too large');
    if (minimum !== undefined && node.value < minimum)
      return this.fail(node.at, path, `must be greater than or equal to ${minimum}`);
    return node.value;
  }

  /** One of the listed words. */
  choice<T extends string>(node: TreeNode, path: string, choices: readonly T[]): T | undefined {
    const value = this.string(node, path);
    if (value === undefined) return undefined;
    if ((choices as readonly string[]).includes(value)) return value as T;
    return this.fail(
      node.at,
      path,
      `must be one of ${choices.map((choice) => `"${choice}"`).join(', ')}, not "${value}"`,
    );
  }

  duration(node: TreeNode, path: string): number | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'string')
      return this.wrongType(node, path, 'a duration like "10s" or "1m30s"');
    const text = node.value;
    try {
      return parseDuration(text);
    } catch (error) {
      if (!(error instanceof UnitError)) throw error;
      return this.fail(node.at, path, error.message);
    }
  }

  /** A size: bytes as an integer, or text like `512M`. */
  bytes(node: TreeNode, path: string): number | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'number')
      return this.integer(node, path, 0);
    const text = this.string(node, path);
    if (text === undefined) return undefined;
    try {
      return parseBytes(text);
    } catch (error) {
      if (!(error instanceof UnitError)) throw error;
      return this.fail(node.at, path, error.message);
    }
  }

  /** A list of strings; `unique` refuses repeats, as the schema's uniqueItems does. */
  stringList(node: TreeNode, path: string, unique = true): string[] | undefined {
    if (node.kind !== 'seq') return this.wrongType(node, path, 'a list of strings');
    const result: string[] = [];
    node.items.forEach((item, index) => {
      const value = this.string(item, itemPath(path, index));
      if (value === undefined) return;
      if (unique && result.includes(value)) {
        this.fail(item.at, itemPath(path, index), `duplicate item "${value}"`);
        return;
      }
      result.push(value);
    });
    return result;
  }

  stringOrList(node: TreeNode, path: string): string[] | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') return [node.value];
    if (node.kind === 'seq') return this.stringList(node, path);
    return this.wrongType(node, path, 'a string or a list of strings');
  }

  /** A command: a string split as a shell would (no expansion), or a list of strings. */
  command(node: TreeNode, path: string): string[] | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') {
      try {
        return splitShellWords(node.value);
      } catch (error) {
        return this.fail(node.at, path, (error as Error).message);
      }
    }
    if (node.kind === 'seq') return this.stringList(node, path, false);
    return this.wrongType(node, path, 'a string or a list of strings');
  }

  /**
   * docker's list_or_dict: `{KEY: value}` (string, number or null) or `["KEY=value"]`. A key
   * without a value is null when `keepNull` (environment pass-through), else "".
   */
  listOrDict(
    node: TreeNode,
    path: string,
    options: { separator?: string; keepNull?: boolean } = {},
  ): Map<string, string | null> | undefined {
    const separator = options.separator ?? '=';
    const result = new Map<string, string | null>();
    if (node.kind === 'map') {
      for (const entry of node.entries) {
        const value = entry.value;
        const entryPath = childPath(path, entry.key);
        if (value.kind === 'scalar' && value.value === null) {
          result.set(entry.key, options.keepNull ? null : '');
        } else if (value.kind === 'scalar' && typeof value.value !== 'boolean') {
          result.set(entry.key, String(value.value));
        } else {
          this.wrongType(value, entryPath, 'a string, number or null');
        }
      }
      return result;
    }
    if (node.kind === 'seq') {
      const items = this.stringList(node, path);
      if (!items) return undefined;
      for (const item of items) {
        const at = item.indexOf(separator);
        if (at < 0) result.set(item, options.keepNull ? null : '');
        else result.set(item.slice(0, at), item.slice(at + separator.length));
      }
      return result;
    }
    return this.wrongType(node, path, 'a mapping or a list');
  }

  /** A mapping of strings (driver options and the like); numbers are taken as text. */
  stringMap(node: TreeNode, path: string): Record<string, string> | undefined {
    const map = this.map(node, path);
    if (!map) return undefined;
    const result: Record<string, string> = {};
    for (const entry of map.entries) {
      const value = this.text(entry.value, childPath(path, entry.key));
      if (value !== undefined) result[entry.key] = value;
    }
    return result;
  }
}

/** Labels and the like as a plain record (list_or_dict with "" for bare keys). */
export function recordOf(values: Map<string, string | null> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of values ?? []) result[key] = value ?? '';
  return result;
}

/**
 * google/shlex's Split as docker's loader uses it for string commands: whitespace separates
 * words, quotes group them, backslash escapes; `#` starts a comment. No expansion.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (quote === "'") {
      if (character === "'") quote = undefined;
      else word += character;
      continue;
    }
    if (quote === '"') {
      if (character === '"') quote = undefined;
      else if (
        character === '\\' &&
        index + 1 < text.length &&
        '"\\$`\n'.includes(text[index + 1]!)
      ) {
        word += text[++index];
      } else word += character;
      continue;
    }
    if (character === '\\') {
      if (index + 1 >= text.length) throw new Error('EOF found after escape character');
      word += text[++index];
      inWord = true;
    } else if (character === '"' || character === "'") {
      quote = character;
      inWord = true;
    } else if (/\s/.test(character)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (character === '#' && !inWord) {
      break;
    } else {
      word += character;
      inWord = true;
    }
  }
  if (quote) throw new Error('EOF found when expecting closing quote');
  if (inWord) words.push(word);
  return words;
}
