// Parse tree node types (mirrors text/template/parse/node.go) and their Go String() forms.

export interface FieldNode {
  type: 'field';
  pos: number;
  ident: string[];
}
export interface VariableNode {
  type: 'variable';
  pos: number;
  ident: string[];
}
export interface DotNode {
  type: 'dot';
  pos: number;
}
export interface NilNode {
  type: 'nil';
  pos: number;
}
export interface BoolNode {
  type: 'bool';
  pos: number;
  value: boolean;
}
export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  /** int literal (number or, beyond 2^53, bigint) */
  int?: number | bigint;
  float?: number;
}
export interface StringNode {
  type: 'string';
  pos: number;
  quoted: string;
  text: string;
}
export interface IdentifierNode {
  type: 'identifier';
  pos: number;
  name: string;
}
export interface ChainNode {
  type: 'chain';
  pos: number;
  node: ArgNode;
  fields: string[];
}
export interface PipeNode {
  type: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode {
  type: 'command';
  pos: number;
  args: ArgNode[];
}
export type ArgNode =
  | FieldNode
  | VariableNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | IdentifierNode
  | ChainNode
  | PipeNode;

export interface TextNode {
  type: 'text';
  pos: number;
  text: string;
}
export interface ActionNode {
  type: 'action';
  pos: number;
  pipe: PipeNode;
}
export interface ListNode {
  type: 'list';
  pos: number;
  nodes: Node[];
}
export interface BranchNode {
  type: 'if' | 'with' | 'range';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
export interface BreakNode {
  type: 'break' | 'continue';
  pos: number;
}
/** Internal markers returned by the parser for {{end}} / {{else}}. */
export interface EndElseNode {
  type: 'end' | 'else';
  pos: number;
}
export type Node = TextNode | ActionNode | ListNode | BranchNode | BreakNode;

/** Go's Node.String(), used for error contexts like `<.Foo.Bar>`. */
export function nodeString(n: ArgNode | Node | CommandNode | EndElseNode): string {
  switch (n.type) {
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'identifier':
      return n.name;
    case 'chain': {
      const base = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.fields.map((f) => `.${f}`).join('');
    }
    case 'pipe': {
      const decl = n.decl.length
        ? `${n.decl.map(nodeString).join(', ')}${n.isAssign ? ' = ' : ' := '}`
        : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args
        .map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a)))
        .join(' ');
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'if':
    case 'with':
    case 'range': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break':
    case 'continue':
    case 'end':
    case 'else':
      return `{{${n.type}}}`;
  }
}
