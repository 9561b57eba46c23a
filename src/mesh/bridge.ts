// Joins a TCP socket and a tunnel stream (a gRPC duplex call carrying MeshFrames) in both
// directions, with backpressure both ways: a side that cannot take more pauses the other, and
// resumes it once drained. A half-close travels (socket end → call end → socket end on the
// far side); an error on either side tears both down.
import type { Socket } from 'node:net';

/** A decoded proto/cluster.proto MeshFrame (every field present). */
export interface WireMeshFrame {
  taskId: string;
  targetPort: number;
  protocol: string;
  data: Uint8Array;
  accepted: boolean;
  error: string;
}

/** What the bridge needs of a grpc-js duplex call (client or server side). */
export interface FrameStream {
  write(frame: Partial<WireMeshFrame>): boolean;
  end(): void;
  pause(): unknown;
  resume(): unknown;
  on(event: 'data', listener: (frame: WireMeshFrame) => void): unknown;
  on(event: 'drain' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

export function dataFrame(data: Uint8Array): Partial<WireMeshFrame> {
  return { data };
}

/**
 * Sockets on both ends are made with allowHalfOpen, so one direction can end while the other
 * still carries data. The stream must be paused (with no 'data' listener) when handed over.
 * Bridges `socket` and `stream` until both directions ended or one side failed; then calls
 * `done` once. `abort` tears the stream down (a client cancels; a server ends with an error).
 */
export function bridge(
  socket: Socket,
  stream: FrameStream,
  abort: () => void,
  done: (error?: Error) => void,
): void {
  let finished = false;
  let socketEnded = false;
  let streamEnded = false;
  const finish = (error?: Error) => {
    if (finished) return;
    finished = true;
    if (error) {
      socket.destroy();
      abort();
    }
    done(error);
  };
  const maybeDone = () => {
    if (socketEnded && streamEnded) finish();
  };
  socket.on('data', (chunk: Buffer) => {
    if (!stream.write(dataFrame(chunk))) socket.pause();
  });
  stream.on('drain', () => socket.resume());
  socket.on('end', () => {
    socketEnded = true;
    stream.end();
    maybeDone();
  });
  stream.on('data', (frame: WireMeshFrame) => {
    if (frame.data.length > 0 && !socket.write(frame.data)) stream.pause();
  });
  socket.on('drain', () => stream.resume());
  stream.on('end', () => {
    streamEnded = true;
    if (!socket.destroyed) socket.end();
    maybeDone();
  });
  socket.on('error', (error) => finish(error));
  stream.on('error', (error) => finish(error));
  socket.on('close', () => {
    // Closed without a clean end both ways (a reset, or our own teardown).
    if (!finished) {
      if (!socketEnded) {
        socketEnded = true;
        stream.end();
      }
      if (!streamEnded) finish(new Error('connection closed'));
      else maybeDone();
    }
  });
  socket.resume();
  stream.resume();
}
