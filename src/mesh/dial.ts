// Opening a TCP connection to a task's endpoint on this node, with a deadline.
import { connect, type Socket } from 'node:net';
import type { Endpoint } from './local-endpoints.ts';

export const CONNECT_TIMEOUT_MS = 2_000;

/**
 * A connected, paused socket (half-open allowed) that has read nothing yet, or a rejection
 * naming the endpoint.
 */
export function dialTcp(endpoint: Endpoint, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      allowHalfOpen: true,
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
