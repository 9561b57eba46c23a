// Where things are in compose files, and the errors that say so. Loading collects every problem
// it finds (up to a bound) instead of stopping at the first, so one run shows the user all of
// them; any problem at all means nothing is deployed.

/** A place in a file: 1-based line and column, as editors count them. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** One problem: where, which key (dotted path, `[n]` for list items), and what is wrong. */
export interface Issue {
  at: Location;
  path: string;
  message: string;
}

/** More than this many problems are summarised: past it they are usually one mistake repeated. */
export const ISSUES_MAX = 50;

export function formatLocation(at: Location): string {
  return `${at.file}:${at.line}:${at.column}`;
}

export function formatIssue(issue: Issue): string {
  const path = issue.path === '' ? '' : `${issue.path}: `;
  // One line per issue, whatever the file held: line breaks in it are shown escaped.
  const text = `${path}${issue.message}`.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return `${formatLocation(issue.at)}: ${text}`;
}

/** The compose files cannot be deployed; `issues` says why, each with its place. */
export class ComposeError extends Error {
  override name = 'ComposeError';
  constructor(
    readonly issues: readonly Issue[],
    readonly omitted = 0,
  ) {
    super(
      [
        ...issues.map(formatIssue),
        ...(omitted > 0 ? [`... and ${omitted} more problems`] : []),
      ].join('\n'),
    );
  }
}

/**
 * Collects issues while a loader keeps going. Files are ranked in the order they were given, so
 * the report reads top to bottom, file by file.
 */
export class Issues {
  private readonly list: Issue[] = [];
  private dropped = 0;
  private readonly fileRank = new Map<string, number>();
  private readonly suppressed = new WeakSet<Location>();

  rankFile(file: string): void {
    if (!this.fileRank.has(file)) this.fileRank.set(file, this.fileRank.size);
  }

  /**
   * Further issues at this place (the very Location object) are dropped: a value whose
   * interpolation failed is reported once, not again by every check that reads it.
   */
  suppress(at: Location): void {
    this.suppressed.add(at);
  }

  add(at: Location, path: string, message: string): void {
    if (this.suppressed.has(at)) return;
    if (this.list.length >= ISSUES_MAX) {
      this.dropped++;
      return;
    }
    this.list.push({ at, path, message });
  }

  get count(): number {
    return this.list.length + this.dropped;
  }

  /** Throws a ComposeError if anything was collected. */
  throwIfAny(): void {
    if (this.count === 0) return;
    const rank = (file: string) => this.fileRank.get(file) ?? this.fileRank.size;
    const sorted = [...this.list].sort(
      (a, b) =>
        rank(a.at.file) - rank(b.at.file) || a.at.line - b.at.line || a.at.column - b.at.column,
    );
    throw new ComposeError(sorted, this.dropped);
  }
}
