import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import {
  AddressError,
  type Interfaces,
  interfaceAddress,
  resolveAdvertiseAddr,
  resolveListenAddr,
  splitHostPort,
} from './interface-address.ts';

function address(family: 'IPv4' | 'IPv6', value: string): NetworkInterfaceInfo {
  return {
    address: value,
    family,
    netmask: '',
    mac: '00:00:00:00:00:00',
    internal: false,
    cidr: null,
    ...(family === 'IPv6' ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
}

const INTERFACES: Interfaces = {
  eth0: [address('IPv4', '10.0.0.5'), address('IPv6', 'fe80::1'), address('IPv6', 'fd00::5')],
  eth1: [address('IPv4', '10.1.0.1'), address('IPv4', '10.1.0.2')],
  v6only: [address('IPv6', 'fe80::2'), address('IPv6', 'fd00::7')],
  down: [],
  linklocal: [address('IPv6', 'fe80::9')],
};

describe('interface names as addresses', () => {
  it('reads an interface as its one IPv4 address, else its one routable IPv6 address', () => {
    assert.equal(interfaceAddress('eth0', INTERFACES), '10.0.0.5');
    assert.equal(interfaceAddress('v6only', INTERFACES), 'fd00::7');
    assert.equal(interfaceAddress('eth9', INTERFACES), undefined);
    assert.throws(
      () => interfaceAddress('eth1', INTERFACES),
      /^AddressError: interface eth1 has more than one IPv4 address \(10.1.0.1 and 10.1.0.2\)$/,
    );
    assert.throws(
      () => interfaceAddress('down', INTERFACES),
      /interface down has no usable IPv4 or IPv6 address/,
    );
    assert.throws(() => interfaceAddress('linklocal', INTERFACES), /no usable/);
  });

  it('resolves --listen-addr: interface or IP, unspecified allowed, port by default', () => {
    assert.equal(resolveListenAddr('eth0', 2377, INTERFACES), '10.0.0.5:2377');
    assert.equal(resolveListenAddr('eth0:4000', 2377, INTERFACES), '10.0.0.5:4000');
    assert.equal(resolveListenAddr('0.0.0.0:2377', 2377, INTERFACES), '0.0.0.0:2377');
    assert.equal(resolveListenAddr('[::]:2377', 2377, INTERFACES), '[::]:2377');
    assert.equal(resolveListenAddr('v6only', 2377, INTERFACES), '[fd00::7]:2377');
    assert.throws(
      () => resolveListenAddr('eth9:2377', 2377, INTERFACES),
      (error: Error) =>
        error instanceof AddressError &&
        (error as AddressError).code === 'invalid_argument' &&
        error.message ===
          'listen address must be an IP address or network interface (with optional port number): got "eth9:2377"',
    );
  });

  it('resolves --advertise-addr: interface or non-zero IP, the listen port by default', () => {
    assert.equal(resolveAdvertiseAddr('eth0', '0.0.0.0:2377', INTERFACES), '10.0.0.5:2377');
    assert.equal(resolveAdvertiseAddr('eth0:2400', '0.0.0.0:2377', INTERFACES), '10.0.0.5:2400');
    assert.equal(resolveAdvertiseAddr('10.9.9.9', '0.0.0.0:3000', INTERFACES), '10.9.9.9:3000');
    assert.equal(resolveAdvertiseAddr('', '10.0.0.5:2377', INTERFACES), '10.0.0.5:2377');
    assert.throws(
      () => resolveAdvertiseAddr('0.0.0.0', '0.0.0.0:2377', INTERFACES),
      /advertise address must be a non-zero IP address or network interface \(with optional port number\)/,
    );
    assert.throws(() => resolveAdvertiseAddr('eth9', '0.0.0.0:2377', INTERFACES), /got "eth9"/);
    assert.throws(() => resolveAdvertiseAddr('', '0.0.0.0:2377', INTERFACES), /--advertise-addr/);
    assert.throws(() => resolveAdvertiseAddr('eth1', '0.0.0.0:2377', INTERFACES), /more than one/);
  });

  it('splits host and port, brackets included', () => {
    assert.deepEqual(splitHostPort('[fd00::1]:80'), { host: 'fd00::1', port: '80' });
    assert.deepEqual(splitHostPort('fd00::1'), { host: 'fd00::1', port: '' });
    assert.deepEqual(splitHostPort('eth0'), { host: 'eth0', port: '' });
    assert.deepEqual(splitHostPort('eth0:2377'), { host: 'eth0', port: '2377' });
  });
});
