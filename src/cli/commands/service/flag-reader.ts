// Typed access to the given flags, with pflag's error wrapping: a value a parser refuses
// becomes `invalid argument "<value>" for "<flag>" flag: <reason>` (a FlagError, exit 125).
import { type FlagValues, flagDisplayName } from './flag-table.ts';
import { invalidArgument, parseGoDuration } from './flag-values.ts';

export class FlagReader {
  constructor(readonly values: FlagValues) {}

  /** pflag's Changed. */
  has(long: string): boolean {
    return this.values.has(long);
  }

  anyOf(...longs: string[]): boolean {
    return longs.some((long) => this.values.has(long));
  }

  string(long: string): string | undefined {
    const value = this.values.get(long);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new Error(`flag --${long} is not a string flag`);
    return value;
  }

  list(long: string): string[] {
    const value = this.values.get(long);
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new Error(`flag --${long} is not a list flag`);
    return [...(value as readonly string[])];
  }

  bool(long: string): boolean {
    const value = this.values.get(long);
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw new Error(`flag --${long} is not a boolean flag`);
    return value;
  }

  /** A single value through `parse`; undefined when the flag was not given. */
  parsed<T>(long: string, parse: (text: string) => T): T | undefined {
    const text = this.string(long);
    if (text === undefined) return undefined;
    return this.wrap(long, text, parse);
  }

  /** Every value of a repeatable flag through `parse`, in command-line order. */
  parsedList<T>(long: string, parse: (text: string) => T): T[] {
    return this.list(long).map((text) => this.wrap(long, text, parse));
  }

  /** A Go duration in nanoseconds. */
  duration(long: string): number | undefined {
    return this.parsed(long, parseGoDuration);
  }

  /** docker's PositiveDurationOpt (health-* flags). */
  positiveDuration(long: string): number | undefined {
    return this.parsed(long, (text) => {
      const value = parseGoDuration(text);
      if (value < 0) throw new Error('duration cannot be negative');
      return value;
    });
  }

  private wrap<T>(long: string, text: string, parse: (text: string) => T): T {
    try {
      return parse(text);
    } catch (error) {
      throw invalidArgument(flagDisplayName(long), text, (error as Error).message);
    }
  }
}
