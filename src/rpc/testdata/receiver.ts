// Run by raft-transport.test.ts as a separate process (so it can be stopped with SIGSTOP):
// a transport with id 2 that prints its port, then the index of every message at or above
// MARK, and exits when stdin closes.
import { RaftTransport } from '../raft-transport.ts';

const MARK = 1_000_000_000;
const transport = new RaftTransport({
  selfId: 2,
  listen: '127.0.0.1:0',
  onMessage: (m) => {
    if (m.index >= MARK) process.stdout.write(`got ${m.index}\n`);
  },
});
const port = await transport.start();
process.stdout.write(`port ${port}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void transport.close();
});
