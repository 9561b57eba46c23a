// Joining the node engine's events with the swarm's, as dockerd serves both kinds on one
// /events stream. The engine's lines are passed on as it wrote them (already Docker's JSON);
// only their time is read, to order the past of both sources together.

/** One event ready to write: its JSON line (newline included) and its time. */
export interface EventLine {
  timeNano: bigint;
  text: string;
}

/** The `timeNano` of an event line, read as text (JSON numbers lose its last digits). */
export function lineTimeNano(line: string): bigint | undefined {
  const match = /"timeNano":\s*(\d{1,20})\b/.exec(line);
  return match === null ? undefined : BigInt(match[1]!);
}

/** Docker's event time parameter for a time in nanoseconds: `seconds.nanoseconds`. */
export function formatEventTime(nanos: bigint): string {
  const second = 1_000_000_000n;
  return `${nanos / second}.${(nanos % second).toString().padStart(9, '0')}`;
}

/** Both lists (each in time order) as one in time order; `first` wins ties. Stable. */
export function mergeByTime(first: readonly EventLine[], second: readonly EventLine[]) {
  const merged: EventLine[] = [];
  let a = 0;
  let b = 0;
  while (a < first.length || b < second.length) {
    const takeFirst =
      b >= second.length || (a < first.length && first[a]!.timeNano <= second[b]!.timeNano);
    merged.push(takeFirst ? first[a++]! : second[b++]!);
  }
  return merged;
}

/** Up to `max` lines of a finite source, as event lines (a line without a time is left out). */
export async function collectLines(source: AsyncIterable<string>, max: number) {
  const lines: EventLine[] = [];
  for await (const line of source) {
    const timeNano = lineTimeNano(line);
    if (timeNano !== undefined) lines.push({ timeNano, text: `${line}\n` });
    if (lines.length >= max) break;
  }
  return lines;
}

type Next<T> = { from: 'primary' | 'secondary'; result: IteratorResult<T> };

/**
 * The items of both sources as they come, until `primary` ends; `secondary` ending early only
 * leaves the primary. At most one read of each source is pending at a time, so a slow consumer
 * slows both sources instead of queueing. Ending the sources' reads (closing a subscription,
 * aborting a request) is the caller's: a pending read is not waited for here.
 */
export async function* mergeUntilPrimaryEnds<T>(
  primary: AsyncIterable<T>,
  secondary: AsyncIterable<T> | null,
): AsyncGenerator<T> {
  const first = primary[Symbol.asyncIterator]();
  const second = secondary?.[Symbol.asyncIterator]();
  const read = (from: Next<T>['from'], iterator: AsyncIterator<T>): Promise<Next<T>> =>
    iterator.next().then(
      (result) => ({ from, result }),
      () => ({ from, result: { done: true, value: undefined } }),
    );
  let firstRead = read('primary', first);
  let secondRead = second === undefined ? undefined : read('secondary', second);
  for (;;) {
    const { from, result } = await (secondRead === undefined
      ? firstRead
      : Promise.race([firstRead, secondRead]));
    if (from === 'primary') {
      if (result.done) return;
      firstRead = read('primary', first);
    } else {
      if (result.done) {
        secondRead = undefined;
        continue;
      }
      secondRead = read('secondary', second!);
    }
    yield result.value;
  }
}
