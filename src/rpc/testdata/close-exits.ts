// Run by raft-transport.test.ts: exchanges messages between transports (one peer unreachable),
// closes them, and must then exit on its own; a leaked socket or timer keeps it alive.
import { RaftTransport } from '../raft-transport.ts';
import { append, freePort, waitFor } from '../test-util.ts';

let received = 0;
const a = new RaftTransport({ selfId: 1, listen: '127.0.0.1:0', onMessage: () => {} });
const b = new RaftTransport({
  selfId: 2,
  listen: '127.0.0.1:0',
  onMessage: () => {
    received++;
  },
});
const portA = await a.start();
const portB = await b.start();
a.addPeer(2, `127.0.0.1:${portB}`);
a.addPeer(3, `127.0.0.1:${await freePort()}`); // nobody there
b.addPeer(1, `127.0.0.1:${portA}`);
a.send([append(1, 2, 0), append(1, 2, 1), append(1, 3, 0)]);
b.send([append(2, 1, 0)]);
await waitFor('delivery', () => received === 2);
// A peer removed while connected, and one closed with its stream still open from the other side.
a.removePeer(3);
await a.close();
await b.close();
console.log('closed');
