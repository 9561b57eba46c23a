import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { AddressError, type Interfaces } from './interface-address.ts';
import { resolveNodeAddresses } from './node-addresses.ts';
import { NO_SYSTEM_ADDRESS, systemAddress } from './system-address.ts';

function entry(address: string, internal = false): NetworkInterfaceInfo {
  const v6 = address.includes(':');
  return {
    address,
    family: v6 ? 'IPv6' : 'IPv4',
    netmask: '',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: null,
    ...(v6 ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
}

const LOOPBACK = { lo: [entry('127.0.0.1', true), entry('::1', true)] };

describe("the system's address, when none is given", () => {
  it('is the one IPv4 address outside loopback and container networks', () => {
    const interfaces: Interfaces = {
      ...LOOPBACK,
      eth0: [entry('192.168.1.20'), entry('fe80::1'), entry('2001:db8::20')],
      docker0: [entry('172.17.0.1')],
      'br-0123456789ab': [entry('172.18.0.1')],
      'shl-abc': [entry('10.0.1.1')],
    };
    assert.equal(systemAddress(interfaces), '192.168.1.20');
  });

  it('is the one routable IPv6 address when there is no IPv4 one', () => {
    const interfaces: Interfaces = {
      ...LOOPBACK,
      eth0: [entry('fe80::1'), entry('2001:db8::20')],
      wlan0: [entry('169.254.3.3')],
    };
    assert.equal(systemAddress(interfaces), '2001:db8::20');
  });

  it('names the candidates when there are several, and says so when there is none', () => {
    assert.throws(
      () => systemAddress({ eth0: [entry('10.0.0.5')], eth1: [entry('192.168.1.9')] }),
      (error: unknown) =>
        error instanceof AddressError &&
        error.message.startsWith(
          'could not choose an IP address to advertise since this system has multiple addresses on different interfaces (10.0.0.5 on eth0 and 192.168.1.9 on eth1)',
        ),
    );
    assert.throws(
      () => systemAddress({ eth0: [entry('10.0.0.5'), entry('10.0.0.6')] }),
      /multiple addresses on interface eth0 \(10\.0\.0\.5 and 10\.0\.0\.6\)/,
    );
    assert.throws(() => systemAddress(LOOPBACK), { message: NO_SYSTEM_ADDRESS });
  });

  it('is what a node listening everywhere advertises, with the listen port', () => {
    const before: Interfaces = { ...LOOPBACK, eth0: [entry('192.168.1.20')] };
    assert.deepEqual(resolveNodeAddresses('0.0.0.0:2400', '', before), {
      listenAddr: '0.0.0.0:2400',
      advertiseAddr: '192.168.1.20:2400',
    });
    const v6: Interfaces = { ...LOOPBACK, eth0: [entry('2001:db8::20')] };
    assert.equal(resolveNodeAddresses('', '', v6).advertiseAddr, '[2001:db8::20]:2377');
  });
});
