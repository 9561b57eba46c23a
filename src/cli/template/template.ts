// The Template object: parse once, execute against data many times.
import type { ListNode } from './ast.ts';
import { DOCKER_FUNCS } from './docker-funcs.ts';
import { TemplateError } from './errors.ts';
import { ExecState, type MissingKey } from './execute.ts';
import { BUILTINS, type FuncSpec, type TemplateFunc, toSpec } from './functions.ts';
import { Parser } from './parser.ts';

export interface ParseOptions {
  /** Template name used in error messages (docker uses ""). */
  name?: string;
  /** Extra functions (override docker's and Go's built-ins of the same name). */
  funcs?: Record<string, TemplateFunc>;
  /** Go's Option("missingkey=error"): a missing map key is an error instead of `<no value>`. */
  missingKey?: MissingKey;
}

export interface ExecuteOptions {
  /** Replace function implementations for this execution (like Go's tmpl.Funcs before Execute). */
  funcs?: Record<string, TemplateFunc>;
}

/** Execution error carrying the output produced before the failure (Go writes it too). */
export class TemplateExecError extends TemplateError {
  constructor(
    message: string,
    readonly partialOutput: string,
  ) {
    super(message, 'exec');
  }
}

const specs = (funcs: Record<string, TemplateFunc> | undefined): Record<string, FuncSpec> =>
  Object.fromEntries(Object.entries(funcs ?? {}).map(([k, f]) => [k, toSpec(f)]));

export class Template {
  readonly name: string;
  private readonly funcs: Record<string, FuncSpec>;
  private readonly root: ListNode;

  constructor(
    readonly text: string,
    private readonly options: ParseOptions = {},
  ) {
    this.name = options.name ?? '';
    this.funcs = { ...BUILTINS, ...DOCKER_FUNCS, ...specs(options.funcs) };
    this.root = new Parser(text, this.name, (f) => Object.hasOwn(this.funcs, f)).parse();
  }

  /** Executes the template with `data` as dot and `$`; throws TemplateError on failure. */
  execute(data: unknown, options: ExecuteOptions = {}): string {
    const funcs = { ...this.funcs, ...specs(options.funcs) };
    const state = new ExecState(
      this.name,
      this.text,
      funcs,
      BUILTINS,
      this.options.missingKey ?? 'default',
      data,
    );
    try {
      state.walk(data, this.root);
    } catch (e) {
      if (e instanceof TemplateError) throw new TemplateExecError(e.message, state.out.join(''));
      throw e;
    }
    return state.out.join('');
  }
}

/** Parses a Go text/template with Go's built-ins and docker's functions; throws TemplateError. */
export function parseTemplate(text: string, options?: ParseOptions): Template {
  return new Template(text, options);
}
