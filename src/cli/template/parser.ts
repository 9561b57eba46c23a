// Parser for Go text/template (a port of text/template/parse/parse.go, minus define/template/block).
import type {
  ArgNode,
  BranchNode,
  CommandNode,
  EndElseNode,
  ListNode,
  Node,
  PipeNode,
  VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { lineAt, TemplateError } from './errors.ts';
import { goQuote } from './format-value.ts';
import { lex, type Token, type TokenType, tokenString } from './lexer.ts';
import { goUnquote, parseNumber } from './literals.ts';

/** Tokens that can start an operand. */
const OPERAND_START = new Set<string>('bool charConstant dot field identifier nil'.split(' '));
for (const t of ['number', 'rawString', 'string', 'variable', 'leftParen']) OPERAND_START.add(t);

export class Parser {
  private readonly tokens: Token[];
  private idx = 0;
  private furthest = 0;
  private vars = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;

  constructor(
    private readonly text: string,
    private readonly name: string,
    private readonly hasFunction: (name: string) => boolean,
  ) {
    this.tokens = lex(text);
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: 0, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n as Node);
    }
    return root;
  }

  private errorf(msg: string): never {
    const tok = this.tokens[Math.min(this.furthest, this.tokens.length - 1)]!;
    const line = lineAt(this.text, tok.pos);
    throw new TemplateError(`template: ${this.name}:${line}: ${msg}`, 'parse');
  }

  private unexpected(tok: Token, context: string): never {
    if (tok.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== lineAt(this.text, tok.pos)) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (tok.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(tok.val + extra);
    }
    this.errorf(`unexpected ${tokenString(tok)} in ${context}`);
  }

  private next(): Token {
    const i = Math.min(this.idx, this.tokens.length - 1);
    this.idx = i + 1;
    this.furthest = Math.max(this.furthest, i);
    return this.tokens[i]!;
  }
  private backup(): void {
    this.idx--;
  }
  private peek(): Token {
    const t = this.next();
    this.backup();
    return t;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private itemList(): { list: ListNode; end: EndElseNode } {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return { list, end: n as EndElseNode };
      list.nodes.push(n as Node);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | EndElseNode {
    const tok = this.nextNonSpace();
    if (tok.type === 'text') return { type: 'text', pos: tok.pos, text: tok.val };
    if (tok.type !== 'leftDelim') this.unexpected(tok, 'input');
    this.actionLine = lineAt(this.text, tok.pos);
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): Node | EndElseNode {
    const tok = this.nextNonSpace();
    switch (tok.type) {
      case 'break':
      case 'continue': {
        const t = this.nextNonSpace();
        if (t.type !== 'rightDelim') this.unexpected(t, `{{${tok.type}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${tok.type}}} outside {{range}}`);
        return { type: tok.type, pos: tok.pos };
      }
      case 'else': {
        const p = this.peekNonSpace();
        if (p.type === 'if' || p.type === 'with') return { type: 'else', pos: p.pos };
        return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
      }
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
      case 'range':
      case 'with':
        return this.control(tok.type);
    }
    this.backup();
    const pos = this.peek().pos;
    return { type: 'action', pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private control(context: 'if' | 'range' | 'with'): BranchNode {
    const saved = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, end } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.type === 'else') {
      const p = this.peek();
      if (context !== 'range' && p.type === context) {
        this.next();
        elseList = { type: 'list', pos: end.pos, nodes: [this.control(context)] };
      } else {
        const r = this.itemList();
        if (r.end.type !== 'end') this.errorf(`expected end; found ${nodeString(r.end)}`);
        elseList = r.list;
      }
    }
    this.vars.length = saved;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: TokenType): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.idx;
      this.next();
      const next = this.peekNonSpace();
      const decl: VariableNode = { type: 'variable', pos: v.pos, ident: v.val.split('.') };
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push(decl);
        this.vars.push(v.val);
      } else if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(decl);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else this.idx = save;
      break;
    }
    for (;;) {
      const tok = this.nextNonSpace();
      if (tok.type === end) {
        if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, i) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0]!.type)) {
            this.errorf(`non executable command in pipeline stage ${i + 2}`);
          }
        });
        return pipe;
      }
      if (!OPERAND_START.has(tok.type)) this.unexpected(tok, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const tok = this.next();
      if (tok.type === 'space') continue;
      if (tok.type === 'rightDelim' || tok.type === 'rightParen') this.backup();
      else if (tok.type !== 'pipe') this.unexpected(tok, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
      case 'variable':
        return { type: node.type, pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
    }
    return { type: 'chain', pos, node, fields };
  }

  /** Runs a literal conversion, turning its error into a parse error. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.errorf((e as Error).message);
    }
  }

  private term(): ArgNode | undefined {
    const tok = this.nextNonSpace();
    const pos = tok.pos;
    switch (tok.type) {
      case 'identifier':
        if (!this.hasFunction(tok.val)) this.errorf(`function ${goQuote(tok.val)} not defined`);
        return { type: 'identifier', pos, name: tok.val };
      case 'dot':
        return { type: 'dot', pos };
      case 'nil':
        return { type: 'nil', pos };
      case 'variable': {
        const ident = tok.val.split('.');
        if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${goQuote(ident[0]!)}`);
        return { type: 'variable', pos, ident };
      }
      case 'field':
        return { type: 'field', pos, ident: [tok.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos, value: tok.val === 'true' };
      case 'charConstant':
      case 'number':
        return this.guard(() => parseNumber(tok));
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { type: 'string', pos, quoted: tok.val, text: this.guard(() => goUnquote(tok.val)) };
    }
    this.backup();
    return undefined;
  }
}
