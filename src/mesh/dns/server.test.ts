import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { test } from 'node:test';
import * as packet from 'dns-packet';
import { DnsServer, nameserversOf } from './server.ts';

function ask(port: number, name: string, type: 'A' | 'AAAA' = 'A'): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => reject(new Error('no answer')), 3000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(packet.decode(message));
    });
    socket.send(
      packet.encode({
        type: 'query',
        id: 7,
        flags: packet.RECURSION_DESIRED,
        questions: [{ type, name, class: 'IN' }],
      }),
      port,
      '127.0.0.1',
    );
  });
}

const records: Record<string, string[]> = {
  web: ['10.0.1.2'],
  'tasks.web': ['10.0.1.5', '10.0.1.6'],
};

test('cluster names answer from the records; others are forwarded', async (t) => {
  const upstream = new DnsServer({
    host: '127.0.0.1',
    port: 0,
    lookup: (name) => (name === 'example.org' ? ['192.0.2.1'] : null),
    upstream: [],
    log: () => {},
  });
  await upstream.start();
  t.after(() => upstream.stop());
  const server = new DnsServer({
    host: '127.0.0.1',
    port: 0,
    lookup: (name) => records[name] ?? null,
    upstream: [`127.0.0.1:${upstream.port}`],
    log: () => {},
  });
  await server.start();
  t.after(() => server.stop());

  const web = await ask(server.port, 'Web.');
  assert.equal(web.id, 7);
  assert.deepEqual(
    web.answers?.map((a) => (a as { data: string }).data),
    ['10.0.1.2'],
  );
  const tasks = await ask(server.port, 'tasks.web');
  assert.deepEqual(tasks.answers?.map((a) => (a as { data: string }).data).sort(), [
    '10.0.1.5',
    '10.0.1.6',
  ]);
  const v6 = await ask(server.port, 'web', 'AAAA');
  assert.equal(v6.answers?.length, 0);
  assert.equal((v6 as { rcode?: string }).rcode, 'NOERROR');
  const forwarded = await ask(server.port, 'example.org');
  assert.deepEqual(
    forwarded.answers?.map((a) => (a as { data: string }).data),
    ['192.0.2.1'],
  );
  // The upstream has no record and no resolver of its own: SERVFAIL comes back.
  const unknown = await ask(server.port, 'nowhere.invalid');
  assert.equal((unknown as { rcode?: string }).rcode, 'SERVFAIL');

  // TCP, length-prefixed.
  const answer = await new Promise<packet.Packet>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    const query = packet.encode({
      type: 'query',
      id: 9,
      questions: [{ type: 'A', name: 'web', class: 'IN' }],
    });
    const head = Buffer.alloc(2);
    head.writeUInt16BE(query.length);
    socket.write(Buffer.concat([head, query]));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.end();
        resolve(packet.decode(data.subarray(2)));
      }
    });
    socket.on('error', reject);
  });
  assert.equal(answer.id, 9);
  assert.equal(answer.answers?.length, 1);
});

test('resolv.conf nameservers', () => {
  assert.deepEqual(
    nameserversOf('# x\nnameserver 10.0.0.2\nsearch lan\nnameserver ::1\n nameserver 127.0.0.53\n'),
    ['10.0.0.2', '127.0.0.53'],
  );
});
