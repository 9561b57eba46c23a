import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import type { Interfaces } from './interface-address.ts';
import { addressesCanMove, refreshNodeAddresses, resolveNodeAddresses } from './node-addresses.ts';
import type { NodeState } from './node-state.ts';
import { SwarmError } from './swarm-error.ts';

function v4(address: string): NetworkInterfaceInfo {
  return {
    address,
    family: 'IPv4',
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    internal: false,
    cidr: `${address}/24`,
  };
}

const BEFORE: Interfaces = { eth0: [v4('192.168.1.20')], eth1: [v4('10.9.0.1')] };
const AFTER: Interfaces = { eth0: [v4('192.168.1.57')], eth1: [v4('10.9.0.1')] };
const v6Interfaces: Interfaces = {
  eth0: [{ ...v4('fd00::5'), family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', scopeid: 0 }],
};

function joined(listenSpec: string, advertiseSpec: string, at = BEFORE): NodeState {
  const { listenAddr, advertiseAddr } = resolveNodeAddresses(listenSpec, advertiseSpec, at);
  return {
    nodeId: 'n1',
    clusterId: 'c1',
    role: 'manager',
    raftId: 7,
    listenAddr,
    advertiseAddr,
    listenSpec,
    advertiseSpec,
    managers: [advertiseAddr, '192.168.1.30:2377'],
    autolock: false,
  };
}

describe('the addresses given at init or join', () => {
  it('reads interfaces, ports and defaults as init and join do', () => {
    assert.deepEqual(resolveNodeAddresses('0.0.0.0:2377', 'eth0', BEFORE), {
      listenAddr: '0.0.0.0:2377',
      advertiseAddr: '192.168.1.20:2377',
    });
    assert.deepEqual(resolveNodeAddresses('', 'eth0:4000', BEFORE), {
      listenAddr: '0.0.0.0:2377',
      advertiseAddr: '192.168.1.20:4000',
    });
    assert.deepEqual(resolveNodeAddresses('eth1:2400', '', BEFORE), {
      listenAddr: '10.9.0.1:2400',
      advertiseAddr: '10.9.0.1:2400',
    });
  });

  it("refuses what dockerd refuses, as a 400 with dockerd's message", () => {
    assert.throws(
      () => resolveNodeAddresses('0.0.0.0:2377', 'wlan9', BEFORE),
      (error: unknown) =>
        error instanceof SwarmError &&
        error.status === 400 &&
        /advertise address must be a non-zero IP address or network interface/.test(error.message),
    );
  });
});

describe('addresses resolved again at each start', () => {
  it('follows an interface to its new address, and moves the node in its own manager list', () => {
    const node = joined('0.0.0.0:2377', 'eth0');
    const refresh = refreshNodeAddresses(node, AFTER);
    assert.equal(refresh.kind, 'changed');
    if (refresh.kind !== 'changed') return;
    assert.deepEqual(refresh.previous, {
      listenAddr: '0.0.0.0:2377',
      advertiseAddr: '192.168.1.20:2377',
    });
    assert.equal(refresh.node.advertiseAddr, '192.168.1.57:2377');
    assert.equal(refresh.node.listenAddr, '0.0.0.0:2377');
    assert.deepEqual(refresh.node.managers, ['192.168.1.57:2377', '192.168.1.30:2377']);
    assert.equal(refresh.node.advertiseSpec, 'eth0', 'the interface is kept by name');
    assert.equal(node.advertiseAddr, '192.168.1.20:2377', 'the state given is not modified');
  });

  it('follows a listen interface too (the old address can no longer be bound)', () => {
    const refresh = refreshNodeAddresses(joined('eth0:2377', ''), AFTER);
    assert.equal(refresh.kind === 'changed' && refresh.node.listenAddr, '192.168.1.57:2377');
    assert.equal(refresh.kind === 'changed' && refresh.node.advertiseAddr, '192.168.1.57:2377');
  });

  it('detects the system address again when none was given', () => {
    const refresh = refreshNodeAddresses(
      joined('0.0.0.0:2377', '', { eth0: [v4('192.168.1.20')] }),
      { eth0: [v4('192.168.1.57')] },
    );
    assert.equal(refresh.kind === 'changed' && refresh.node.advertiseAddr, '192.168.1.57:2377');
  });

  it('keeps an address given literally, and an unmoved interface', () => {
    assert.deepEqual(refreshNodeAddresses(joined('0.0.0.0:2377', '192.168.1.20'), AFTER), {
      kind: 'unchanged',
    });
    assert.deepEqual(refreshNodeAddresses(joined('0.0.0.0:2377', 'eth0'), BEFORE), {
      kind: 'unchanged',
    });
  });

  it('leaves state written before the specs were kept as it is', () => {
    const { listenSpec, advertiseSpec, ...old } = joined('0.0.0.0:2377', 'eth0');
    assert.deepEqual(refreshNodeAddresses(old, AFTER), { kind: 'unchanged' });
  });

  it('says why when the interface has no address now (a lease not yet given)', () => {
    const refresh = refreshNodeAddresses(joined('0.0.0.0:2377', 'eth0'), { eth0: [], eth1: [] });
    assert.equal(refresh.kind, 'unresolved');
    assert.match(
      refresh.kind === 'unresolved' ? refresh.reason : '',
      /interface eth0 has no usable IPv4 or IPv6 address/,
    );
  });
});

describe('which addresses can move while the daemon runs', () => {
  it('interface names and a detected address move; literal addresses never do', () => {
    assert.equal(addressesCanMove(joined('0.0.0.0:2377', 'eth0')), true);
    assert.equal(addressesCanMove(joined('0.0.0.0:2377', 'eth0:4000')), true);
    assert.equal(addressesCanMove(joined('eth1:2400', '')), true);
    assert.equal(addressesCanMove(joined('eth1:2400', '10.9.0.1')), true, 'the listen side moves');
    const one = { eth0: [v4('192.168.1.20')] };
    assert.equal(addressesCanMove(joined('0.0.0.0:2377', '', one)), true, 'detected');
    assert.equal(addressesCanMove(joined('', '', one)), true, 'detected (default listen address)');
    assert.equal(addressesCanMove(joined('0.0.0.0:2377', '192.168.1.20')), false);
    assert.equal(addressesCanMove(joined('10.9.0.1:2377', '')), false);
    assert.equal(addressesCanMove(joined('[::]:2377', '[fd00::5]:2377', v6Interfaces)), false);
    const { listenSpec, advertiseSpec, ...old } = joined('0.0.0.0:2377', 'eth0');
    assert.equal(addressesCanMove(old), false, 'state written before the specs were kept');
  });
});
