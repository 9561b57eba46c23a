// Compose text to a small tree of maps, lists and scalars that remembers where each value was
// written. YAML 1.1 as docker's loader (go-yaml v2) reads it: `yes`/`on` are booleans, `0440` is
// octal; anchors, aliases and merge keys (`<<`) resolved here. Aliases share the node they point
// to instead of copying it, and the size the document expands to is bounded, so a small file of
// nested aliases (a "billion laughs") is refused instead of filling memory.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node as YamlAstNode,
} from 'yaml';
import type { Issues, Location } from './issues.ts';

export type Scalar = string | number | boolean | null;

interface NodeBase {
  /** Where to point when this value is wrong: a map value's key, a list item's start. */
  at: Location;
  /** How many values this one stands for once aliases are expanded (itself included). */
  size: number;
}

export interface MapEntry {
  key: string;
  keyAt: Location;
  value: TreeNode;
}

export interface MapNode extends NodeBase {
  kind: 'map';
  entries: MapEntry[];
}

export interface SeqNode extends NodeBase {
  kind: 'seq';
  items: TreeNode[];
}

export interface ScalarNode extends NodeBase {
  kind: 'scalar';
  value: Scalar;
}

export type TreeNode = MapNode | SeqNode | ScalarNode;

/** What one document may expand to through aliases; real compose files are far below it. */
export const EXPANDED_VALUES_MAX = 200_000;
/** Nesting deeper than this is no compose file. */
export const DEPTH_MAX = 64;

class TreeError extends Error {
  constructor(
    readonly at: Location,
    message: string,
  ) {
    super(message);
  }
}

export function entryOf(node: MapNode, key: string): MapEntry | undefined {
  return node.entries.find((entry) => entry.key === key);
}

/**
 * Parses one compose file. Answers its tree, or undefined after adding the reasons to `issues`
 * (YAML syntax errors, duplicate keys, a top level that is not a mapping, oversize expansion).
 */
export function parseTree(text: string, file: string, issues: Issues): MapNode | undefined {
  const lines = new LineCounter();
  const document = parseDocument(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    lineCounter: lines,
    strict: false,
  });
  const locate = (offset: number): Location => {
    const position = lines.linePos(offset);
    return { file, line: position.line, column: position.col };
  };
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const duplicate =
        error.code === 'DUPLICATE_KEY'
          ? /^[^\s:#]+|^"[^"]*"|^'[^']*'/.exec(text.slice(error.pos[0]))
          : null;
      issues.add(
        locate(error.pos[0]),
        '',
        duplicate
          ? `invalid YAML: mapping key ${duplicate[0].replace(/^['"]|['"]$/g, '')} is defined more than once`
          : yamlMessage(error.message),
      );
    }
    return undefined;
  }
  try {
    const root = new TreeBuilder(document, locate).build(
      document.contents as YamlAstNode | null,
      locate(0),
    );
    if (root.kind !== 'map') {
      issues.add(root.at, '', 'top-level object must be a mapping');
      return undefined;
    }
    return root;
  } catch (error) {
    if (!(error instanceof TreeError)) throw error;
    issues.add(error.at, '', error.message);
    return undefined;
  }
}

/** The yaml library's first line, without its own position suffix. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return `invalid YAML: ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
}

class TreeBuilder {
  private readonly built = new Map<YamlAstNode, TreeNode>();
  private readonly inProgress = new Set<YamlAstNode>();

  constructor(
    private readonly document: ReturnType<typeof parseDocument>,
    private readonly locate: (offset: number) => Location,
  ) {}

  build(node: YamlAstNode | null, at: Location, depth = 0): TreeNode {
    if (depth > DEPTH_MAX) throw new TreeError(at, `nesting deeper than ${DEPTH_MAX} levels`);
    if (node === null) return { kind: 'scalar', value: null, at, size: 1 };
    if (isAlias(node)) {
      const target = node.resolve(this.document) as YamlAstNode | undefined;
      const aliasAt = this.where(node, at);
      if (!target) throw new TreeError(aliasAt, `unknown anchor "${node.source}"`);
      if (this.inProgress.has(target))
        throw new TreeError(aliasAt, `alias "*${node.source}" refers to a value that contains it`);
      return this.build(target, at, depth);
    }
    const done = this.built.get(node);
    if (done) return { ...done, at };
    this.inProgress.add(node);
    const result = this.buildFresh(node, at, depth);
    this.inProgress.delete(node);
    if (result.size > EXPANDED_VALUES_MAX) {
      throw new TreeError(
        result.at,
        `the document expands to more than ${EXPANDED_VALUES_MAX} values through aliases`,
      );
    }
    this.built.set(node, result);
    return result;
  }

  private where(node: YamlAstNode, fallback: Location): Location {
    const offset = node.range?.[0];
    return offset === undefined ? fallback : this.locate(offset);
  }

  private buildFresh(node: YamlAstNode, at: Location, depth: number): TreeNode {
    if (isScalar(node)) return { kind: 'scalar', value: scalarValue(node), at, size: 1 };
    if (isSeq(node)) {
      const items: TreeNode[] = [];
      let size = 1;
      for (const item of node.items) {
        const child = this.build(item as YamlAstNode | null, this.itemAt(item, at), depth + 1);
        items.push(child);
        size += child.size;
      }
      return { kind: 'seq', items, at, size };
    }
    if (isMap(node)) return this.buildMap(node, at, depth);
    throw new TreeError(this.where(node, at), 'unsupported YAML node');
  }

  private itemAt(item: unknown, fallback: Location): Location {
    const offset = (item as { range?: [number] } | null)?.range?.[0];
    return offset === undefined ? fallback : this.locate(offset);
  }

  private buildMap(node: YamlAstNode & { items: unknown[] }, at: Location, depth: number) {
    const entries: MapEntry[] = [];
    const merged: MapEntry[][] = [];
    let size = 1;
    for (const pair of node.items as { key: unknown; value: unknown }[]) {
      const keyNode = pair.key as YamlAstNode | null;
      const keyAt = this.itemAt(keyNode, at);
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        merged.push(this.mergeSources(pair.value as YamlAstNode | null, keyAt, depth));
        continue;
      }
      const key = keyText(keyNode);
      if (key === undefined) throw new TreeError(keyAt, 'non-string key: keys must be scalars');
      const value = this.build(pair.value as YamlAstNode | null, keyAt, depth + 1);
      entries.push({ key, keyAt, value });
      size += value.size;
    }
    // Explicit keys win over merged ones; among merged mappings the first listed wins.
    const present = new Set(entries.map((entry) => entry.key));
    for (const source of merged) {
      for (const entry of source) {
        if (present.has(entry.key)) continue;
        present.add(entry.key);
        entries.push(entry);
        size += entry.value.size;
      }
    }
    return { kind: 'map' as const, entries, at, size };
  }

  private mergeSources(value: YamlAstNode | null, at: Location, depth: number): MapEntry[] {
    const built = this.build(value, at, depth + 1);
    const sources = built.kind === 'seq' ? built.items : [built];
    const entries: MapEntry[] = [];
    for (const source of sources) {
      if (source.kind !== 'map') {
        throw new TreeError(at, 'merge key "<<" needs a mapping or a list of mappings');
      }
      entries.push(...source.entries.filter((entry) => !entries.some((e) => e.key === entry.key)));
    }
    return entries;
  }
}

/**
 * Plain scalars keep YAML 1.1's types as go-yaml v2 resolves them: timestamps stay text, and so
 * do base-60 numbers (`8080:30` is a port mapping, not 484830), which go-yaml never read.
 */
function scalarValue(node: YamlAstNode & { value: unknown; source?: string }): Scalar {
  const value = node.value;
  if (value instanceof Date) return node.source ?? value.toISOString();
  if (typeof value === 'number' && node.source?.includes(':')) return node.source;
  if (typeof value === 'bigint') return Number(value);
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return value;
  }
  return node.source ?? String(value);
}

/** Keys are text; a plain `80:` or `on:` key means what it says, not a number or boolean. */
function keyText(node: YamlAstNode | null): string | undefined {
  if (node === null) return '';
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.source === 'string') return node.source;
  if (node.value === null) return '';
  return String(node.value);
}
