// The exec runtime's log files: records, line splitting, rotation, reading with positions.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTempDir, removeTempDirs } from '../testkit/index.ts';
import {
  decodeRecord,
  decodeRecords,
  encodeRecord,
  LINE_BYTES_MAX,
  LineSplitter,
  LOG_FILE,
  LOG_FILE_BYTES_MIN,
  LogWriter,
  ROTATED_LOG_FILE,
  readAll,
  readSince,
  selectEntries,
} from './exec-logs.ts';

process.once('exit', removeTempDirs);

const T = '2026-01-02T03:04:05.123000000Z';

test('records: the CRI format, full and partial lines', () => {
  const full = encodeRecord({
    time: T,
    stream: 'stdout',
    partial: false,
    content: Buffer.from('a b'),
  });
  assert.equal(full.toString(), `${T} stdout F a b\n`);
  const entry = decodeRecord(full.subarray(0, -1));
  assert.deepEqual(entry && [entry.stream, entry.time, entry.line.toString()], [
    'stdout',
    T,
    'a b\n',
  ]);
  const part = decodeRecord(Buffer.from(`${T} stderr P no newline`));
  assert.equal(part?.line.toString(), 'no newline');
  assert.equal(decodeRecord(Buffer.from(`${T} stdin F x`)), undefined);
  assert.equal(decodeRecord(Buffer.from('junk')), undefined);
  const empty = decodeRecord(Buffer.from(`${T} stdout F `));
  assert.equal(empty?.line.toString(), '\n');
  assert.equal(
    decodeRecords(Buffer.from(`${T} stdout F 1\n${T} stdout F 2\n${T} stdout F tor`)).length,
    2,
  );
});

test('line splitting: newlines, chunk boundaries, long lines and the rest', () => {
  const splitter = new LineSplitter();
  const out = [
    ...splitter.push(Buffer.from('one\ntw')),
    ...splitter.push(Buffer.from('o\n\nthree')),
    ...splitter.flush(),
  ];
  assert.deepEqual(
    out.map((l) => [l.content.toString(), l.partial]),
    [
      ['one', false],
      ['two', false],
      ['', false],
      ['three', true],
    ],
  );
  const long = new LineSplitter().push(Buffer.alloc(LINE_BYTES_MAX * 2 + 1, 0x61));
  assert.deepEqual(
    long.map((l) => [l.content.length, l.partial]),
    [
      [LINE_BYTES_MAX, true],
      [LINE_BYTES_MAX, true],
    ],
  );
});

test('rotation keeps two files within the bound; readers follow across it', () => {
  const dir = makeTempDir('shoal-exec-logs-');
  const writer = new LogWriter(dir, LOG_FILE_BYTES_MIN);
  const record = (i: number) => ({
    time: T,
    stream: 'stdout' as const,
    partial: false,
    content: Buffer.from(`line-${i}`.padEnd(1000, '.')),
  });
  let next = 0;
  const first = readAll(dir);
  assert.deepEqual(first.entries, []);
  let position = first.position;
  const followed: string[] = [];
  for (let round = 0; round < 20; round++) {
    writer.append(Array.from({ length: 10 }, () => record(next++)));
    const read = readSince(dir, position);
    position = read.position;
    followed.push(...read.entries.map((e) => e.line.toString().split('.')[0]!));
    for (const file of [LOG_FILE, ROTATED_LOG_FILE]) {
      try {
        assert.ok(statSync(join(dir, file)).size <= LOG_FILE_BYTES_MIN);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  writer.close();
  // The follower saw every line once, in order.
  assert.deepEqual(
    followed,
    Array.from({ length: next }, (_, i) => `line-${i}`),
  );
  // The files keep the newest lines, contiguous.
  const kept = readAll(dir).entries.map((e) => Number(e.line.toString().split('.')[0]!.slice(5)));
  assert.equal(kept.at(-1), next - 1);
  assert.ok(kept.every((n, i) => i === 0 || n === kept[i - 1]! + 1));
  assert.ok(kept.length < next);
  // A writer reopened on the same directory appends.
  const again = new LogWriter(dir, LOG_FILE_BYTES_MIN);
  again.append([record(next)]);
  again.close();
  assert.equal(readAll(dir).entries.at(-1)?.line.toString().split('.')[0], `line-${next}`);
  assert.throws(() => new LogWriter(dir, 1000), RangeError);
});

test('tail and since select from the end and by time', () => {
  const entry = (time: string, text: string) => ({
    stream: 'stdout' as const,
    time,
    line: Buffer.from(text),
  });
  const entries = [
    entry('2026-01-01T00:00:01.000000000Z', 'a'),
    entry('2026-01-01T00:00:02.000000000Z', 'b'),
    entry('2026-01-01T00:00:03.000000000Z', 'c'),
  ];
  const texts = (options: Parameters<typeof selectEntries>[1]) =>
    selectEntries(entries, options).map((e) => e.line.toString());
  assert.deepEqual(texts({}), ['a', 'b', 'c']);
  assert.deepEqual(texts({ tail: 2 }), ['b', 'c']);
  assert.deepEqual(texts({ tail: 0 }), []);
  assert.deepEqual(texts({ tail: 10 }), ['a', 'b', 'c']);
  const since = Date.UTC(2026, 0, 1, 0, 0, 2) / 1000;
  assert.deepEqual(texts({ since }), ['b', 'c']);
  assert.deepEqual(texts({ since, tail: 1 }), ['c']);
});
