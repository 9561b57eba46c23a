import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contains,
  formatIpv4,
  formatSubnet,
  overlaps,
  parseIpv4,
  parseSubnet,
  type Subnet,
  within,
} from './ipv4.ts';
import { parsePools, pickSubnet } from './subnets.ts';

const subnet = (text: string): Subnet => {
  const parsed = parseSubnet(text);
  assert.equal(typeof parsed, 'object', `${text} parses`);
  return parsed as Subnet;
};

describe('IPv4 addresses and subnets', () => {
  it('parses and formats dotted addresses strictly', () => {
    assert.equal(parseIpv4('10.0.1.2'), 10 * 2 ** 24 + 258);
    assert.equal(formatIpv4(parseIpv4('255.255.255.255')!), '255.255.255.255');
    for (const bad of ['10.0.1', '10.0.1.256', '010.0.0.1', '1.2.3.4.5', '', 'a.b.c.d', '1..2.3']) {
      assert.equal(parseIpv4(bad), undefined, bad);
    }
  });

  it('parses subnets given by their network address only', () => {
    assert.deepEqual(subnet('10.0.1.0/24'), { base: parseIpv4('10.0.1.0'), prefixBits: 24 });
    assert.equal(parseSubnet('10.0.1.5/24'), 'host-bits');
    for (const bad of ['10.0.1.0', '10.0.1.0/33', '10.0.1.0/', '10.0.1.0/024', 'x/24']) {
      assert.equal(parseSubnet(bad), 'malformed', bad);
    }
    assert.equal(formatSubnet(subnet('192.168.0.0/16')), '192.168.0.0/16');
  });

  it('knows containment and overlap', () => {
    const big = subnet('10.0.0.0/16');
    assert.ok(contains(big, parseIpv4('10.0.255.255')!));
    assert.ok(!contains(big, parseIpv4('10.1.0.0')!));
    assert.ok(overlaps(big, subnet('10.0.3.0/24')));
    assert.ok(overlaps(subnet('10.0.3.0/24'), big));
    assert.ok(!overlaps(subnet('10.0.3.0/24'), subnet('10.0.4.0/24')));
    assert.ok(within(subnet('10.0.3.128/25'), subnet('10.0.3.0/24')));
    assert.ok(!within(subnet('10.0.2.0/23'), subnet('10.0.3.0/24')));
  });
});

describe('subnets from the default address pools', () => {
  const pools = parsePools(['10.0.0.0/8']);

  it('hands out the pool in SubnetSize blocks, skipping taken ranges of any size', () => {
    assert.equal(formatSubnet(pickSubnet(pools, 24, [])!), '10.0.0.0/24');
    const taken = [subnet('10.0.0.0/24'), subnet('10.0.1.0/24')];
    assert.equal(formatSubnet(pickSubnet(pools, 24, taken)!), '10.0.2.0/24');
    // A user's /16 blocks every /24 inside it; a small range blocks its whole block.
    const blockers = [subnet('10.0.0.0/16'), subnet('10.1.0.128/25')];
    assert.equal(formatSubnet(pickSubnet(pools, 24, blockers)!), '10.1.1.0/24');
  });

  it('moves to the next pool, and says when every pool is full', () => {
    const two = parsePools(['10.0.0.0/23', '192.168.0.0/24']);
    const taken = [subnet('10.0.0.0/24'), subnet('10.0.1.0/24')];
    assert.equal(formatSubnet(pickSubnet(two, 24, taken)!), '192.168.0.0/24');
    assert.equal(pickSubnet(two, 24, [...taken, subnet('192.168.0.0/24')]), undefined);
    // A block larger than the pool never fits.
    assert.equal(pickSubnet(two, 16, []), undefined);
  });

  it('finds the first free block past many taken ones', () => {
    const taken = Array.from({ length: 2000 }, (_, i) => ({
      base: parseIpv4('10.0.0.0')! + i * 256,
      prefixBits: 24,
    }));
    assert.equal(formatSubnet(pickSubnet(pools, 24, taken)!), '10.7.208.0/24');
  });
});
