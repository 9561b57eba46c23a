// The docker log stream parsers: frames split anywhere, timestamps split off, TTY lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameParser, splitTimestamp, TTY_LINE_BYTES_MAX, TtyLineParser } from './docker-logs.ts';

function frame(stream: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

const T1 = '2026-01-02T03:04:05.123456789Z';
const T2 = '2026-01-02T03:04:06.000000001Z';

test('frames: streams and timestamps, whatever the chunking', () => {
  const bytes = Buffer.concat([frame(1, `${T1} hello\n`), frame(2, `${T2} oops\n`)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const parser = new FrameParser();
    const entries = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
    assert.deepEqual(
      entries.map((e) => [e.stream, e.time, e.line.toString()]),
      [
        ['stdout', T1, 'hello\n'],
        ['stderr', T2, 'oops\n'],
      ],
    );
    assert.equal(parser.pendingBytes, 0);
  }
});

test('frames: byte by byte, and a partial message without a newline', () => {
  const bytes = frame(1, `${T1} no newline`);
  const parser = new FrameParser();
  const entries = [...bytes].flatMap((b) => parser.push(Buffer.from([b])));
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.line.toString(), 'no newline');
});

test('frames: a corrupt header is an error, not a huge allocation', () => {
  const bad = Buffer.alloc(8);
  bad[0] = 7;
  assert.throws(() => new FrameParser().push(bad), /corrupt log stream/);
  const huge = Buffer.alloc(8);
  huge[0] = 1;
  huge.writeUInt32BE(0xffffffff, 4);
  assert.throws(() => new FrameParser().push(huge), /corrupt log stream/);
});

test('timestamps: split at the first space; none when it is not one', () => {
  assert.deepEqual(splitTimestamp(Buffer.from(`${T1} a b\n`)).time, T1);
  assert.equal(splitTimestamp(Buffer.from(`${T1} a b\n`)).line.toString(), 'a b\n');
  assert.equal(splitTimestamp(Buffer.from('plain text here\n')).time, '');
  assert.equal(
    splitTimestamp(Buffer.from('plain text here\n')).line.toString(),
    'plain text here\n',
  );
});

test('tty: lines with timestamps, the rest at the end, long lines cut', () => {
  const parser = new TtyLineParser();
  const entries = [
    ...parser.push(Buffer.from(`${T1} one\n${T2} tw`)),
    ...parser.push(Buffer.from('o\n')),
    ...parser.push(Buffer.from(`${T2} three`)),
    ...parser.flush(),
  ];
  assert.deepEqual(
    entries.map((e) => [e.stream, e.time, e.line.toString()]),
    [
      ['stdout', T1, 'one\n'],
      ['stdout', T2, 'two\n'],
      ['stdout', T2, 'three'],
    ],
  );
  const long = new TtyLineParser().push(Buffer.alloc(TTY_LINE_BYTES_MAX * 2 + 5, 0x61));
  assert.equal(long.length, 2);
});
