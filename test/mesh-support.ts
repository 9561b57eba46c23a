// Shared by the routing mesh tests: the replica program, and clients that count answers.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerSpec } from '../src/store/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const ECHO_SERVER = join(here, 'fixtures/echo-server.mjs');

/** An exec task running the echo server (HTTP and UDP on its assigned port). */
export function echoContainer(env: string[] = []): ContainerSpec {
  return { Image: `exec:${process.execPath}`, Args: [ECHO_SERVER], Env: env };
}

/** One HTTP request on a new connection: the body, or the error's text prefixed 'ERROR'. */
export function httpGet(host: string, port: number, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('ERROR timeout');
    }, timeoutMs);
    socket.on('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve(`ERROR ${error.message}`);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const split = data.indexOf('\r\n\r\n');
      if (!data.startsWith('HTTP/1.1 200') || split < 0) resolve(`ERROR bad answer ${data}`);
      else resolve(data.slice(split + 4));
    });
  });
}

/** One datagram and its answer, or 'ERROR ...'. */
export function udpAsk(host: string, port: number, text: string, timeoutMs = 3_000) {
  return new Promise<string>((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve('ERROR timeout');
    }, timeoutMs);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send(text, port, host);
  });
}

/** Counts of each distinct answer of `n` requests. */
export async function answers(host: string, port: number, n: number) {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const body = await httpGet(host, port);
    counts.set(body, (counts.get(body) ?? 0) + 1);
  }
  return counts;
}
