// Execution state shared by the evaluator: variables, current node, error reporting.
import type { ArgNode, CommandNode, Node } from './ast.ts';
import { nodeString } from './ast.ts';
import { locationAt, TemplateError } from './errors.ts';
import { goQuote, goTypeName, isGoInt } from './format-value.ts';
import type { FuncSpec, ParamType } from './functions.ts';

export type MissingKey = 'default' | 'error';

/** Marker for "no final (piped) argument", Go's missingVal. */
export const MISSING: unique symbol = Symbol('missing');
export type Final = unknown;

const GO_TYPES: Record<ParamType, string> = {
  value: 'reflect.Value',
  any: 'interface {}',
  string: 'string',
  int: 'int',
  bool: 'bool',
  strings: '[]string',
};

export function goParamType(t: ParamType): string {
  return GO_TYPES[t];
}

export abstract class ExecBase {
  protected node: ArgNode | Node | CommandNode | undefined;
  protected vars: { name: string; value: unknown }[];
  readonly out: string[] = [];

  constructor(
    protected readonly name: string,
    protected readonly text: string,
    protected readonly funcs: Record<string, FuncSpec>,
    protected readonly builtins: Record<string, FuncSpec>,
    protected readonly missingKey: MissingKey,
    data: unknown,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  errorf(msg: string): never {
    const n = this.node;
    const prefix = n
      ? `template: ${locationAt(this.name, this.text, n.pos)}: executing ${goQuote(this.name)} at <${nodeString(n)}>`
      : `template: ${this.name}`;
    throw new TemplateError(`${prefix}: ${msg}`, 'exec');
  }

  protected at(n: ArgNode | Node | CommandNode): void {
    this.node = n;
  }
  protected mark(): number {
    return this.vars.length;
  }
  protected pop(mark: number): void {
    this.vars.length = mark;
  }
  protected setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  protected varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  protected validateType(value: unknown, type: ParamType | null): unknown {
    if (type === null || type === 'value') return value;
    if (value === undefined || (value === null && type !== 'any' && type !== 'strings')) {
      if (type === 'any' || type === 'strings') return null;
      this.errorf(`invalid value; expected ${goParamType(type)}`);
    }
    const ok =
      type === 'any' ||
      (type === 'string' && typeof value === 'string') ||
      (type === 'int' && (typeof value === 'bigint' || isGoInt(value))) ||
      (type === 'bool' && typeof value === 'boolean') ||
      (type === 'strings' &&
        (value === null || (Array.isArray(value) && value.every((x) => typeof x === 'string'))));
    if (!ok)
      this.errorf(`wrong type for value; expected ${goParamType(type)}; got ${goTypeName(value)}`);
    return value;
  }
}
