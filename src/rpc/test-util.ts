// Helpers shared by the src/rpc tests.
import { createServer } from 'node:net';
import { EntryType, emptyMessage, type Message, MessageType } from '../raft/types.ts';

/** Polls `cond` until it holds; fails after `timeoutMs`, naming `what`. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A loopback port nobody listens on right now (it may be taken again later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** An Append from `from` to `to` whose `index` is `seq`, carrying one entry of `size` bytes. */
export function append(from: number, to: number, seq: number, size = 256): Message {
  const m = emptyMessage(MessageType.Append, from, to, 1);
  m.index = seq;
  m.commit = seq;
  m.entries = [{ term: 1, index: seq + 1, type: EntryType.Normal, data: bytes(size, seq) }];
  return m;
}
