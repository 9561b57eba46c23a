// Opening a TCP connection to a task's endpoint on this node, with a deadline.
import { connect, type Socket } from 'node:net';
import type { Endpoint } from './local-endpoints.ts';
import type { Forwarder } from './relay.ts';

export const CONNECT_TIMEOUT_MS = 2_000;

/**
 * A connected, paused socket (half-open allowed), or a rejection naming the endpoint. With a
 * forwarder, its reads go through it (see relay.ts).
 */
export function dialTcp(
  endpoint: Endpoint,
  timeoutMs = CONNECT_TIMEOUT_MS,
  forwarder?: Forwarder,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      allowHalfOpen: true,
      ...(forwarder ? { onread: forwarder.onread } : {}),
    });
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
