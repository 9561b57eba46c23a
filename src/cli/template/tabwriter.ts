// Elastic tabstops, a port of Go's text/tabwriter as forked by docker/cli
// (cli/command/formatter/tabwriter): cell widths are terminal display widths.

/** Formatting flags, as in Go's text/tabwriter. */
export const TabWriterFlags = {
  /** Force right-alignment of cell content. */
  AlignRight: 1 << 2,
  /** Handle empty columns terminated only by vertical tabs as if they were not present. */
  DiscardEmptyColumns: 1 << 3,
  /** Always use tabs for indentation columns (leading empty cells). */
  TabIndent: 1 << 4,
  /** Print a vertical bar ('|') between columns. */
  Debug: 1 << 5,
} as const;

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const WIDE: [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** Display width of a string (East Asian wide characters count 2, combining marks 0). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || ZERO_WIDTH.test(c)) continue;
    w += WIDE.some(([lo, hi]) => cp >= lo && cp <= hi) ? 2 : 1;
  }
  return w;
}

/**
 * Aligns tab-terminated cells into columns. Write text with write(), then call flush() to
 * get the formatted output. Cells are terminated by '\t' (or '\v'); lines by '\n' (or '\f',
 * which also ends all column blocks). Text after the last tab on a line is not part of a
 * column. docker uses `new TabWriter(10, 1, 3, ' ')`.
 */
export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out = '';

  constructor(
    readonly minWidth = 0,
    readonly tabWidth = 8,
    readonly padding = 1,
    readonly padChar = ' ',
    readonly flags = 0,
  ) {
    if (minWidth < 0 || tabWidth < 0 || padding < 0) {
      throw new RangeError('negative minwidth, tabwidth, or padding');
    }
    if (padChar === '\t') this.flags &= ~TabWriterFlags.AlignRight;
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        if (ch === '\f' || ncells === 1) this.flushInternal();
        if (ch === '\f' && this.flags & TabWriterFlags.Debug) this.out += '---\n';
      }
    }
    this.cell += text.slice(start);
  }

  /** Formats everything written so far and returns it (the writer is reset). */
  flush(): string {
    this.flushInternal();
    const out = this.out;
    this.out = '';
    return out;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: displayWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushInternal(): void {
    if (this.cell.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private padding0(textWidth: number, cellWidth: number, useTabs: boolean): void {
    if (this.padChar === '\t' || useTabs) {
      if (this.tabWidth === 0) return;
      const cw = Math.ceil(cellWidth / this.tabWidth) * this.tabWidth;
      this.out += '\t'.repeat(Math.ceil((cw - textWidth) / this.tabWidth));
      return;
    }
    this.out += this.padChar.repeat(Math.max(cellWidth - textWidth, 0));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      let useTabs = (this.flags & TabWriterFlags.TabIndent) !== 0;
      line.forEach((c, j) => {
        if (j > 0 && this.flags & TabWriterFlags.Debug) this.out += '|';
        const w = this.widths[j];
        if (c.text.length === 0) {
          if (w !== undefined) this.padding0(c.width, w, useTabs);
          return;
        }
        useTabs = false;
        if ((this.flags & TabWriterFlags.AlignRight) === 0) {
          this.out += c.text;
          if (w !== undefined) this.padding0(c.width, w, false);
        } else {
          if (w !== undefined) this.padding0(c.width, w, false);
          this.out += c.text;
        }
      });
      if (i + 1 === this.lines.length) this.out += this.cell;
      else this.out += '\n';
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lines[cur]!.length - 1) continue;
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.minWidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.lines[cur]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.flags & TabWriterFlags.DiscardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }
}
