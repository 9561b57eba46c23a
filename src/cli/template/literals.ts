// Literal conversion for the parser: Go's strconv.Unquote and number-literal parsing.
import type { NumberNode } from './ast.ts';
import { goQuote } from './format-value.ts';
import type { Token } from './lexer.ts';

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Go's strconv.Unquote for "..." / `...` / '...' literals; throws 'invalid syntax'. */
export function goUnquote(q: string): string {
  const quote = q[0];
  if (q.length < 2 || q[q.length - 1] !== quote) throw new Error('invalid syntax');
  const body = q.slice(1, -1);
  if (quote === '`') return body.replaceAll('\r', '');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      if (c === quote) throw new Error('invalid syntax');
      out += c;
      continue;
    }
    const e = body[++i] ?? '';
    const hex = (n: number): number => {
      const h = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new Error('invalid syntax');
      i += n;
      return Number.parseInt(h, 16);
    };
    if (ESCAPES[e] !== undefined) out += ESCAPES[e];
    else if (e === quote) out += e;
    else if (e === 'x') out += String.fromCharCode(hex(2));
    else if (e === 'u') out += String.fromCodePoint(hex(4));
    else if (e === 'U') out += String.fromCodePoint(hex(8));
    else if (/^[0-7]{3}$/.test(body.slice(i, i + 3))) {
      out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new Error('invalid syntax');
  }
  return out;
}

export function parseNumber(tok: Token): NumberNode {
  const node: NumberNode = { type: 'number', pos: tok.pos, text: tok.val };
  if (tok.type === 'charConstant') {
    let s: string;
    try {
      s = goUnquote(tok.val);
    } catch {
      throw new Error(`malformed character constant: ${tok.val}`);
    }
    if ([...s].length !== 1) throw new Error(`malformed character constant: ${tok.val}`);
    node.int = s.codePointAt(0)!;
    node.float = node.int;
    return node;
  }
  const text = tok.val.replaceAll('_', '');
  if (text.endsWith('i'))
    throw new Error(`complex constants are not supported: ${goQuote(tok.val)}`);
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m) {
    const digits = m[2]!;
    const lit = /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.replace(/^0O/, '0o');
    let big = BigInt(lit.replace(/^0X/, '0x').replace(/^0B/, '0b'));
    if (m[1] === '-') big = -big;
    if (big > 0xffffffffffffffffn || big < -0x8000000000000000n) {
      throw new Error(`integer overflow: ${goQuote(tok.val)}`);
    }
    node.int = Number.isSafeInteger(Number(big)) ? Number(big) : big;
    node.float = Number(big);
    return node;
  }
  const f = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(f)) throw new Error(`illegal number syntax: ${goQuote(tok.val)}`);
  node.float = f;
  if (Number.isInteger(f) && Math.abs(f) <= 2 ** 63) node.int = f;
  return node;
}
