// How docker shows a stream of progress messages (moby's jsonmessage.DisplayJSONMessagesStream
// with streamformatter's progress output). On a terminal each ID owns a line that is redrawn
// in place (cursor up, erase, write, cursor down) and bars are drawn when the terminal is wider
// than 110 columns. Elsewhere nothing is redrawn: messages that would draw a bar are dropped
// and every other one is printed as its own `id: text` line, as often as docker writes it.
import type { ProgressMessage } from './progress.ts';

/** JSONProgress.String() for the bars the service progress uses (HideCounts, no units). */
export function progressBar(message: ProgressMessage, widthColumns: number): string {
  const current = message.current ?? 0;
  const total = message.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return `${current}`;
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  if (widthColumns <= 110) return '';
  return `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
}

const ESC = '\x1b[';

export class ProgressDisplay {
  /** Line of each progress ID, counted from the first progress line drawn. */
  private ids = new Map<string, number>();

  constructor(
    private readonly terminal: boolean,
    /** Terminal width; docker assumes 200 when it cannot tell. */
    private readonly widthColumns = 200,
  ) {}

  /** The bytes docker would write for one message. */
  render(message: ProgressMessage): string {
    const isProgress = message.message === undefined;
    let output = '';
    let diff = 0;
    if (message.id !== '' && isProgress) {
      let line = this.ids.get(message.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(message.id, line);
        if (this.terminal) output += '\n';
      }
      diff = this.ids.size - line;
      if (this.terminal && diff > 0) output += `${ESC}${diff}A`;
    } else {
      // Anything that is not a progress line ends the block of redrawn lines.
      this.ids = new Map();
    }
    output += this.display(message, isProgress);
    if (message.id !== '' && this.terminal && diff > 0) output += `${ESC}${diff}B`;
    return output;
  }

  renderAll(messages: readonly ProgressMessage[]): string {
    return messages.map((message) => this.render(message)).join('');
  }

  /** jsonmessage.Display. */
  private display(message: ProgressMessage, isProgress: boolean): string {
    const bar = isProgress ? progressBar(message, this.widthColumns) : '';
    let output = '';
    let endOfLine = '';
    if (this.terminal && isProgress) {
      output += `${ESC}2K\r`;
      endOfLine = '\r';
    } else if (isProgress && bar !== '') {
      // No bars off a terminal.
      return '';
    }
    if (message.id !== '') output += `${message.id}: `;
    const status = isProgress ? (message.action ?? '') : (message.message ?? '');
    if (isProgress && this.terminal) return `${output}${status} ${bar}${endOfLine}`;
    return `${output}${status}${endOfLine}\n`;
  }
}
