import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../store/test-support.ts';
import { AddressBook } from './address-book.ts';
import { AddressesExhaustedError } from './errors.ts';
import { contains, lastAddress, parseIpv4, parseSubnet, type Subnet } from './ipv4.ts';
import { network, service, task } from './test-support.ts';

const ip = (address: string) => parseIpv4(address.split('/')[0]!)!;

describe('address book', () => {
  it('hands out addresses serially after the gateway, never the network or broadcast address', () => {
    const book = AddressBook.fromState({
      networks: [network('n1', '10.0.1.0/29')],
      services: [],
      tasks: [],
    });
    const got = Array.from({ length: 5 }, () => book.allocate('n1'));
    assert.deepEqual(got, [
      '10.0.1.2/29',
      '10.0.1.3/29',
      '10.0.1.4/29',
      '10.0.1.5/29',
      '10.0.1.6/29',
    ]);
    assert.throws(() => book.allocate('n1'), AddressesExhaustedError);
    book.release('n1', '10.0.1.4/29');
    assert.equal(book.allocate('n1'), '10.0.1.4/29');
  });

  it('counts what the store holds: VIPs and the addresses of tasks that have not ended', () => {
    const net = network('n1', '10.0.1.0/29');
    const owner = service('s1', ['n1'], {
      vips: { VirtualIPs: [{ NetworkID: 'n1', Addr: '10.0.1.2/29' }] },
    });
    const attached = (address: string) => [{ Network: net, Addresses: [address] }];
    const book = AddressBook.fromState({
      networks: [net],
      services: [owner],
      tasks: [
        task('t1', owner, 'running', attached('10.0.1.3/29')),
        task('t2', owner, 'failed', attached('10.0.1.4/29')),
      ],
    });
    assert.ok(book.isUsed('n1', '10.0.1.2/29'));
    assert.ok(book.isUsed('n1', '10.0.1.3/29'));
    assert.ok(!book.isUsed('n1', '10.0.1.4/29'), "an ended task's address is free");
    assert.equal(book.allocate('n1'), '10.0.1.4/29');
  });

  it('allocates only from the --ip-range, and resumes from the stored cursor', () => {
    const net = {
      ...network('n1', '10.0.1.0/24', { range: '10.0.1.128/30' }),
      NextAddress: '10.0.1.130',
    };
    const book = AddressBook.fromState({ networks: [net], services: [], tasks: [] });
    assert.equal(book.allocate('n1'), '10.0.1.130/24');
    assert.equal(book.allocate('n1'), '10.0.1.131/24');
    assert.deepEqual([...book.movedCursors()], [['n1', '10.0.1.128']]);
    assert.equal(book.allocate('n1'), '10.0.1.128/24');
    assert.equal(book.allocate('n1'), '10.0.1.129/24');
    assert.throws(() => book.allocate('n1'), /no available addresses on network net-n1/);
  });

  it('property: never hands out a live address; released ones come back once the rest is used', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const random = seededRandom(seed);
      const prefix = 26 + Math.floor(random() * 4); // /26 .. /29
      const subnetText = `10.${seed}.0.0/${prefix}`;
      const subnet = parseSubnet(subnetText) as Subnet;
      const net = network('n', subnetText);
      const gateway = subnet.base + 1;
      const capacity = lastAddress(subnet) - subnet.base + 1 - 3;
      const book = AddressBook.fromState({ networks: [net], services: [], tasks: [] });
      const live = new Set<number>();
      for (let step = 0; step < 400; step++) {
        const context = `seed ${seed} step ${step}`;
        if (live.size > 0 && random() < 0.4) {
          const victims = [...live];
          const victim = victims[Math.floor(random() * victims.length)]!;
          live.delete(victim);
          book.release('n', formatted(victim, prefix));
          continue;
        }
        if (live.size === capacity) {
          assert.throws(() => book.allocate('n'), AddressesExhaustedError, context);
          continue;
        }
        const address = ip(book.allocate('n'));
        assert.ok(!live.has(address), `${context}: ${address} handed out twice`);
        assert.ok(contains(subnet, address), context);
        assert.ok(address !== subnet.base && address !== lastAddress(subnet), context);
        assert.notEqual(address, gateway, context);
        live.add(address);
        if (live.size === capacity - 1 && random() < 0.5) {
          // Exactly one address is free: whatever it is, it must be the one handed out.
          const free = freeAddress(subnet, gateway, live);
          const next = ip(book.allocate('n'));
          assert.equal(next, free, `${context}: the released address is reused`);
          live.add(next);
        }
      }
    }
  });

  it('property: a book rebuilt from the store agrees with the one that allocated', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = seededRandom(seed * 7);
      const net = network('n', '10.9.0.0/27');
      const owner = service('s', ['n']);
      const book = AddressBook.fromState({ networks: [net], services: [], tasks: [] });
      const tasks = [];
      for (let i = 0; i < 25; i++) {
        const address = book.allocate('n');
        const state = random() < 0.3 ? 'shutdown' : 'running';
        if (state === 'shutdown') book.release('n', address);
        tasks.push(task(`t${i}`, owner, state, [{ Network: net, Addresses: [address] }]));
      }
      const rebuilt = AddressBook.fromState({ networks: [net], services: [], tasks });
      const fresh = new Set<string>();
      for (;;) {
        let address: string;
        try {
          address = rebuilt.allocate('n');
        } catch {
          break;
        }
        fresh.add(address);
      }
      for (const t of tasks) {
        const address = t.NetworksAttachments![0]!.Addresses[0]!;
        assert.equal(fresh.has(address), t.Status.State === 'shutdown', `seed ${seed} ${address}`);
      }
    }
  });
});

function formatted(address: number, prefix: number): string {
  return `${[address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.')}/${prefix}`;
}

function freeAddress(subnet: Subnet, gateway: number, live: Set<number>): number {
  for (let address = subnet.base + 1; address < lastAddress(subnet); address++) {
    if (address !== gateway && !live.has(address)) return address;
  }
  throw new Error('no free address');
}
