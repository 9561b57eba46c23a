/** Error raised for template parse and execution failures, worded like Go's text/template. */
export class TemplateError extends Error {
  /** 'parse' for syntax errors, 'exec' for execution errors. */
  readonly kind: 'parse' | 'exec';
  constructor(message: string, kind: 'parse' | 'exec') {
    super(message);
    this.name = 'TemplateError';
    this.kind = kind;
  }
}

/** Line (1-based) of a byte-ish position (JS string index) in `text`. */
export function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Go's ErrorContext location: "name:line:col" where col is a 0-based UTF-8 byte offset. */
export function locationAt(name: string, text: string, pos: number): string {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  const col = Buffer.byteLength(nl === -1 ? before : before.slice(nl + 1));
  return `${name}:${lineAt(text, pos)}:${col}`;
}
