// Template execution: walking the tree (a port of text/template/exec.go over JS values).
import type { BranchNode, ListNode, Node, PipeNode } from './ast.ts';
import { Evaluator } from './exec-eval.ts';
import { MISSING } from './exec-state.ts';
import {
  formatValue,
  isArrayLike,
  isObjectLike,
  printableValue,
  sortedEntries,
} from './format-value.ts';
import { isTrue } from './functions.ts';

export type { MissingKey } from './exec-state.ts';

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

export class ExecState extends Evaluator {
  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          this.at(node);
          this.out.push(printableValue(val));
        }
        return;
      }
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      case 'if':
      case 'with': {
        const mark = this.mark();
        const val = this.evalPipeline(dot, node.pipe);
        if (isTrue(val)) this.walk(node.type === 'with' ? val : dot, node.list);
        else if (node.elseList) this.walk(dot, node.elseList);
        this.pop(mark);
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  protected walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const { decl, isAssign } = r.pipe;
      const one = (index: unknown, elem: unknown, list: ListNode): void => {
        if (isAssign) {
          if (decl.length > 0) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          if (decl.length > 1) this.setVar(decl[1]!.ident[0]!, elem);
        } else {
          if (decl.length > 0) this.vars[this.vars.length - 1]!.value = elem;
          if (decl.length > 1) this.vars[this.vars.length - 2]!.value = index;
        }
        try {
          this.walk(elem, list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let items: [unknown, unknown][];
      if (isArrayLike(val)) items = Array.from(val, (v, i) => [i, v]);
      else if (typeof val === 'number' && Number.isInteger(val)) {
        if (decl.length > 1) this.errorf(`can't use ${val} to iterate over more than one variable`);
        items = Array.from({ length: Math.max(val, 0) }, (_, i) => [i, i]);
      } else if (isObjectLike(val)) items = sortedEntries(val);
      else if (val === undefined || val === null) items = [];
      else this.errorf(`range can't iterate over ${formatValue(val)}`);
      for (const [k, v] of items) one(k, v, r.list);
      if (items.length === 0 && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(outer);
    }
  }

  protected evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }
}
