// Opening a TCP connection to a task's endpoint on this node, with a deadline.
import { connect, type Socket } from 'node:net';
import type { Endpoint } from './local-endpoints.ts';

export const CONNECT_TIMEOUT_MS = 2_000;
const LINGER_MS = 10_000;

/** A connected socket (half-open allowed), or a rejection naming the endpoint. */
export function dialTcp(endpoint: Endpoint, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true });
    socket.pause();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${endpoint.host}:${endpoint.port} did not answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${endpoint.host}:${endpoint.port}: ${error.message}`));
    });
  });
}

/**
 * Joins two sockets both ways with backpressure (pipe) and half-close; `done` once both are
 * closed. An error on either destroys both.
 */
export function splice(a: Socket, b: Socket, done: () => void): void {
  let closed = 0;
  // Once one side is gone, the other is ended, and destroyed if it lingers.
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
  a.on('error', fail);
  b.on('error', fail);
  a.on('close', closing(b));
  b.on('close', closing(a));
  a.pipe(b);
  b.pipe(a);
  a.resume();
  b.resume();
}
