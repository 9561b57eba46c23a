// Lexer for the Go text/template syntax (a port of text/template/parse/lex.go).
import { goQuote, goRune } from './format-value.ts';

export type TokenType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords (printed as <word> in messages)
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Token {
  type: TokenType;
  pos: number;
  val: string;
}

const KEYWORDS: Record<string, TokenType> = {
  '.': 'dot',
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  nil: 'nil',
  range: 'range',
  template: 'template',
  with: 'with',
};
const KEYWORD_TYPES = new Set<TokenType>(Object.values(KEYWORDS));

/** Go's item.String(), used in "unexpected X in Y" messages. */
export function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (KEYWORD_TYPES.has(t.type)) return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return `${goQuote(runes.slice(0, 10).join(''))}...`;
  return goQuote(t.val);
}

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined): boolean =>
  c !== undefined && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c));
const hasLeftTrimMarker = (s: string): boolean => s[0] === '-' && isSpace(s[1]);
const hasRightTrimMarker = (s: string): boolean => isSpace(s[0]) && s[1] === '-';
const trimRightLength = (s: string): number => s.length - s.replace(/[ \t\r\n]+$/, '').length;
const trimLeftLength = (s: string): number => s.length - s.replace(/^[ \t\r\n]+/, '').length;

/** Tokenizes the whole input; the token list ends with an 'eof' or an 'error' token. */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  const emit = (type: TokenType): void => {
    tokens.push({ type, pos: start, val: input.slice(start, pos) });
    start = pos;
  };
  const fail = (msg: string): false => {
    tokens.push({ type: 'error', pos: start, val: msg });
    return false;
  };
  const peek = (): string | undefined => {
    if (pos >= input.length) return undefined;
    return String.fromCodePoint(input.codePointAt(pos)!);
  };
  const next = (): string | undefined => {
    const c = peek();
    if (c !== undefined) pos += c.length;
    return c;
  };
  const accept = (valid: string): boolean => {
    const c = peek();
    if (c !== undefined && valid.includes(c)) {
      pos += c.length;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid)) {}
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input.slice(pos)) && input.startsWith('}}', pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: input.startsWith('}}', pos), trim: false };
  };
  const atTerminator = (): boolean => {
    const c = peek();
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c)) return true;
    return input.startsWith('}}', pos);
  };
  const fieldOrVariable = (type: 'field' | 'variable'): boolean => {
    if (atTerminator()) {
      emit(type === 'variable' ? 'variable' : 'dot');
      return true;
    }
    let c: string | undefined;
    for (;;) {
      c = peek();
      if (!isAlphaNumeric(c)) break;
      next();
    }
    if (!atTerminator()) return fail(`bad character ${goRune(c)}`);
    emit(type);
    return true;
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      return false;
    }
    return true;
  };
  const quoted = (close: string, msg: string): boolean => {
    for (;;) {
      const c = next();
      if (c === '\\' && close !== '`') {
        const e = next();
        if (e !== undefined && e !== '\n') continue;
        return fail(msg);
      }
      if (c === undefined || (c === '\n' && close !== '`')) return fail(msg);
      if (c === close) return true;
    }
  };

  // Returns false when lexing must stop (error emitted).
  const insideAction = (): boolean => {
    for (;;) {
      const { delim } = atRightDelim();
      if (delim) {
        if (parenDepth !== 0) return fail('unclosed left paren');
        const { trim } = atRightDelim();
        if (trim) pos += 2;
        start = pos;
        pos += 2;
        emit('rightDelim');
        if (trim) pos += trimLeftLength(input.slice(pos));
        start = pos;
        return true;
      }
      const c = next();
      if (c === undefined) return fail('unclosed action');
      if (isSpace(c)) {
        let n = 1;
        while (isSpace(peek())) {
          next();
          n++;
        }
        if (hasRightTrimMarker(input.slice(pos - 1)) && input.startsWith('}}', pos + 1)) {
          pos--;
          if (n === 1) continue;
        }
        emit('space');
      } else if (c === '=') emit('assign');
      else if (c === ':') {
        if (next() !== '=') return fail('expected :=');
        emit('declare');
      } else if (c === '|') emit('pipe');
      else if (c === '"') {
        if (!quoted('"', 'unterminated quoted string')) return false;
        emit('string');
      } else if (c === '`') {
        if (!quoted('`', 'unterminated raw quoted string')) return false;
        emit('rawString');
      } else if (c === '$') {
        if (atTerminator()) emit('variable');
        else if (!fieldOrVariable('variable')) return false;
      } else if (c === "'") {
        if (!quoted("'", 'unterminated character constant')) return false;
        emit('charConstant');
      } else if (c === '.' && !/[0-9]/.test(input[pos] ?? '')) {
        if (!fieldOrVariable('field')) return false;
      } else if (c === '.' || c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        pos = start;
        if (!scanNumber()) return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
        const sign = peek();
        if (sign === '+' || sign === '-') {
          if (!scanNumber() || input[pos - 1] !== 'i') {
            return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
          }
        }
        emit('number');
      } else if (isAlphaNumeric(c)) {
        while (isAlphaNumeric(peek())) next();
        const word = input.slice(start, pos);
        if (!atTerminator()) return fail(`bad character ${goRune(peek())}`);
        const kw = KEYWORDS[word];
        if (kw) emit(kw);
        else if (word === 'true' || word === 'false') emit('bool');
        else emit('identifier');
      } else if (c === '(') {
        parenDepth++;
        emit('leftParen');
      } else if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) return fail('unexpected right paren');
        emit('rightParen');
      } else if (c.codePointAt(0)! <= 0x7e && c.codePointAt(0)! >= 0x20) emit('char');
      else return fail(`unrecognized character in action: ${goRune(c)}`);
    }
  };

  for (;;) {
    const x = input.indexOf('{{', pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      emit('eof');
      return tokens;
    }
    let end = x;
    const trimLeft = hasLeftTrimMarker(input.slice(x + 2));
    if (trimLeft) end -= trimRightLength(input.slice(start, x));
    if (end > start) tokens.push({ type: 'text', pos: start, val: input.slice(start, end) });
    pos = x + 2;
    start = x;
    const after = trimLeft ? 2 : 0;
    if (input.startsWith('/*', pos + after)) {
      pos += after + 2;
      const close = input.indexOf('*/', pos);
      if (close < 0) {
        fail('unclosed comment');
        return tokens;
      }
      pos = close + 2;
      const { delim, trim } = atRightDelim();
      if (!delim) {
        fail('comment ends before closing delimiter');
        return tokens;
      }
      pos += (trim ? 2 : 0) + 2;
      if (trim) pos += trimLeftLength(input.slice(pos));
      start = pos;
      continue;
    }
    emit('leftDelim');
    pos += after;
    start = pos;
    parenDepth = 0;
    if (!insideAction()) return tokens;
  }
}
