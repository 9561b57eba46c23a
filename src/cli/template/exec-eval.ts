// Evaluation of commands, fields, function calls and arguments (text/template/exec.go).
import type {
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  NumberNode,
  PipeNode,
  VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { TemplateError } from './errors.ts';
import { ExecBase, type Final, goParamType, MISSING } from './exec-state.ts';
import { goQuote, goTypeName, isObjectLike } from './format-value.ts';
import { type FuncSpec, isTrue, type ParamType } from './functions.ts';

function hasField(obj: object, name: string): boolean {
  return Object.hasOwn(obj, name) || (name in obj && !(name in Object.prototype));
}

export abstract class Evaluator extends ExecBase {
  protected abstract evalPipeline(dot: unknown, pipe: PipeNode): unknown;

  protected notAFunction(args: ArgNode[] | null, final: Final): void {
    if ((args && args.length > 1) || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args![0]!)}`);
    }
  }

  protected evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  protected idealConstant(n: NumberNode): unknown {
    this.at(n);
    const isFloat = /[.eEpP]/.test(n.text) && !/^[+-]?0[xX]/.test(n.text) && n.text[0] !== "'";
    if (isFloat || n.int === undefined) return n.float;
    if (
      typeof n.int === 'bigint' &&
      (n.int > 0x7fffffffffffffffn || n.int < -0x8000000000000000n)
    ) {
      this.errorf(`${n.text} overflows int`);
    }
    return n.int;
  }

  protected evalFieldNode(
    dot: unknown,
    f: FieldNode,
    args: ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(f);
    return this.evalFieldChain(dot, dot, f, f.ident, args, final);
  }

  protected evalChainNode(
    dot: unknown,
    c: ChainNode,
    args: ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(c);
    if (c.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(c)}`);
    const base = this.evalArg(dot, null, c.node);
    return this.evalFieldChain(dot, base, c, c.fields, args, final);
  }

  protected evalVariableNode(
    dot: unknown,
    v: VariableNode,
    args: ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  protected evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: ArgNode,
    ident: string[],
    args: ArgNode[] | null,
    final: Final,
  ): unknown {
    for (let i = 0; i < ident.length - 1; i++)
      receiver = this.evalField(dot, ident[i]!, node, null, MISSING, receiver);
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver);
  }

  protected evalField(
    dot: unknown,
    name: string,
    node: ArgNode,
    args: ArgNode[] | null,
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (!isObjectLike(receiver))
      this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    const isMap = receiver instanceof Map;
    const has = isMap ? receiver.has(name) : hasField(receiver, name);
    const value: unknown = isMap ? receiver.get(name) : (receiver as Record<string, unknown>)[name];
    if (has && typeof value === 'function') {
      const spec: FuncSpec = {
        params: [],
        variadic: 'any',
        fn: (...a: unknown[]) => value.apply(receiver, a),
      };
      return this.evalCall(dot, spec, false, node, name, args, final);
    }
    if ((args && args.length > 1) || final !== MISSING)
      this.errorf(`${name} is not a method but has arguments`);
    if (!has && this.missingKey === 'error')
      this.errorf(`map has no entry for key ${goQuote(name)}`);
    return value;
  }

  protected evalFunction(
    dot: unknown,
    n: IdentifierNode,
    cmd: ArgNode | CommandNode,
    args: ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(n);
    const spec = this.funcs[n.name];
    if (!spec) this.errorf(`${goQuote(n.name)} is not a defined function`);
    return this.evalCall(dot, spec, this.builtins[n.name] === spec, cmd, n.name, args, final);
  }

  protected evalCall(
    dot: unknown,
    spec: FuncSpec,
    isBuiltin: boolean,
    node: ArgNode | CommandNode,
    name: string,
    args: ArgNode[] | null,
    final: Final,
  ): unknown {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const fixed = spec.params.length;
    if (spec.variadic !== undefined) {
      if (numIn < fixed)
        this.errorf(
          `wrong number of args for ${name}: want at least ${fixed} got ${argNodes.length}`,
        );
    } else if (numIn !== fixed)
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      return final !== MISSING ? final : v;
    }
    const typeAt = (i: number): ParamType => (i < fixed ? spec.params[i]! : spec.variadic!);
    const argv = argNodes.map((a, i) => this.evalArg(dot, typeAt(i), a));
    if (final !== MISSING) argv.push(this.validateType(final, typeAt(numIn - 1)));
    try {
      return spec.fn(...argv);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  protected evalArg(dot: unknown, type: ParamType | null, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (type === 'any' || type === 'value' || type === 'strings') return null;
        return this.errorf(`cannot assign nil to ${goParamType(type ?? 'any')}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), type);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), type);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), type);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), type);
    }
    const literal =
      n.type === 'bool' ? n.value : n.type === 'string' ? n.text : this.idealConstant(n);
    if (type === null || type === 'any' || type === 'value') return literal;
    if (type === 'string' && n.type === 'string') return n.text;
    if (type === 'int' && n.type === 'number' && n.int !== undefined) return n.int;
    if (type === 'bool' && n.type === 'bool') return n.value;
    const want = { string: 'string', int: 'integer', bool: 'bool', strings: '' }[type];
    if (!want) this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    return this.errorf(`expected ${want}; found ${nodeString(n)}`);
  }
}
