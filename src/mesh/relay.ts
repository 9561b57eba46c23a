// Joining a client's connection and a task's on this node, both ways. The libuv handles carry
// the bytes where the runtime exposes them (handle-relay.ts, the fast path); otherwise the
// sockets' streams do, with the same guarantees: bytes in order, backpressure (a write the far
// side refuses pauses the reader until 'drain'), half-close travelling, and any error ending
// both sides.
import type { Socket } from 'node:net';
import { LINGER_MS, relayHandles } from './handle-relay.ts';

export { handleRelayAvailable, LINGER_MS, READ_BUFFER_BYTES } from './handle-relay.ts';

/**
 * Relays `a` and `b`, both connected and paused with nothing read yet; `prefix` (a PROXY
 * protocol header) goes to `b` first. `done` runs once both are closed.
 */
export function relaySockets(a: Socket, b: Socket, prefix: Buffer | null, done: () => void) {
  if (relayHandles(a, b, prefix, done) !== null) return;
  if (prefix !== null) b.write(prefix);
  relayStreams(a, b, done);
}

/** The stream path: 'data' events and writes, as `pipe()` does both ways. */
export function relayStreams(a: Socket, b: Socket, done: () => void): void {
  let closed = 0;
  const closing = (other: Socket) => () => {
    if (++closed === 2) {
      done();
      return;
    }
    other.end();
    setTimeout(() => other.destroy(), LINGER_MS).unref();
  };
  const fail = () => {
    a.destroy();
    b.destroy();
  };
  const link = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => from.resume());
    from.on('end', () => to.end());
    from.on('error', fail);
    from.on('close', closing(to));
  };
  link(a, b);
  link(b, a);
  a.resume();
  b.resume();
}
