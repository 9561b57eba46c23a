import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import {
  encodeFrame,
  encodeFrameHeader,
  JsonLinesWriter,
  logsContentType,
  MultiplexedStreamParser,
  MultiplexedStreamWriter,
  StreamClosedError,
  StreamId,
  writeWithBackpressure,
} from './streaming.ts';

test('a multiplexed frame is [stream, 0, 0, 0, length u32 BE] then the payload', () => {
  assert.deepEqual([...encodeFrame(StreamId.stdout, 'hi')], [1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
  assert.deepEqual(
    [...encodeFrame(StreamId.stderr, Buffer.from([0xff]))],
    [2, 0, 0, 0, 0, 0, 0, 1, 0xff],
  );
  assert.deepEqual([...encodeFrameHeader(StreamId.stdout, 0x01020304)], [1, 0, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual([...encodeFrameHeader(StreamId.stderr, 70_000)], [2, 0, 0, 0, 0, 1, 0x11, 0x70]);
  assert.throws(() => encodeFrameHeader(StreamId.stdout, 2 ** 32), RangeError);
});

test('the writer splits large payloads and the parser reassembles across chunks', async () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const writer = new MultiplexedStreamWriter(out, { framePayloadBytesMax: 4 });
  await writer.write(StreamId.stdout, 'abcdefghij');
  await writer.write(StreamId.stderr, '');
  await writer.write(StreamId.stderr, 'é');
  await writer.end();
  const bytes = Buffer.concat(chunks);
  const parser = new MultiplexedStreamParser();
  const frames = [...bytes].flatMap((byte) => parser.push(Uint8Array.of(byte)));
  assert.deepEqual(
    frames.map((frame) => [frame.stream, frame.payload.toString()]),
    [
      [1, 'abcd'],
      [1, 'efgh'],
      [1, 'ij'],
      [2, 'é'],
    ],
  );
  assert.equal(parser.pendingBytes, 0);
  assert.throws(
    () => new MultiplexedStreamParser(3).push(encodeFrame(StreamId.stdout, 'abcd')),
    RangeError,
  );
});

test('writes wait for drain when the consumer is slow', async () => {
  const written: string[] = [];
  let release: (() => void) | undefined;
  const slow = new Writable({
    highWaterMark: 8,
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      release = callback;
    },
  });
  const writer = new JsonLinesWriter(slow);
  let settled = false;
  const pending = writer.write({ message: 'a long enough line' }).then(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'the write waits while the buffer is over its mark');
  release?.();
  await pending;
  assert.deepEqual(written, ['{"message":"a long enough line"}\n']);
});

test('writing to a closed stream fails with StreamClosedError', async () => {
  const blocked = new Writable({ highWaterMark: 1, write() {} });
  const waiting = writeWithBackpressure(blocked, 'xx');
  blocked.destroy();
  await assert.rejects(waiting, StreamClosedError);
  await assert.rejects(writeWithBackpressure(blocked, 'x'), StreamClosedError);
});

test('logs content type follows the API version', () => {
  assert.equal(logsContentType('1.41', false), 'application/vnd.docker.raw-stream');
  assert.equal(logsContentType('1.42', false), 'application/vnd.docker.multiplexed-stream');
  assert.equal(logsContentType('1.42', true), 'application/vnd.docker.raw-stream');
});
