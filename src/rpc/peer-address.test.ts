import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addressAfterFailure,
  addressOnArrival,
  movedAddress,
  remoteHost,
  splitHostPort,
} from './peer-address.ts';

describe('addresses of peers', () => {
  it('splits host:port and [v6]:port, and refuses what has no port', () => {
    assert.deepEqual(splitHostPort('10.0.0.5:2377'), { host: '10.0.0.5', port: '2377' });
    assert.deepEqual(splitHostPort('[fd00::1]:2377'), { host: 'fd00::1', port: '2377' });
    assert.deepEqual(splitHostPort('manager-1:4000'), { host: 'manager-1', port: '4000' });
    assert.equal(splitHostPort('10.0.0.5'), null);
    assert.equal(splitHostPort('fd00::1'), null);
    assert.equal(splitHostPort(''), null);
  });

  it("reads the far end's host as grpc-js's server names it", () => {
    assert.equal(remoteHost('10.1.2.3:45678'), '10.1.2.3');
    assert.equal(remoteHost('ipv4:10.1.2.3:45678'), '10.1.2.3');
    assert.equal(remoteHost('[fd00::7]:45678'), 'fd00::7');
    assert.equal(remoteHost('fd00::7:45678'), 'fd00::7');
    assert.equal(remoteHost('::ffff:10.1.2.3:45678'), '10.1.2.3');
    assert.equal(remoteHost('unknown'), null);
    assert.equal(remoteHost('/run/shoal.sock:0'), null);
  });

  it('moves an address to another host, keeping its port', () => {
    assert.equal(movedAddress('10.0.0.5:2377', '10.0.0.99'), '10.0.0.99:2377');
    assert.equal(movedAddress('10.0.0.5:4000', 'fd00::9'), '[fd00::9]:4000');
    assert.equal(movedAddress('[fd00::1]:2377', 'FD00::1'), null, 'same host');
    assert.equal(movedAddress('10.0.0.5:2377', '10.0.0.5'), null, 'same host');
    assert.equal(movedAddress('10.0.0.5', '10.0.0.99'), null, 'no port to keep');
  });
});

describe('where to dial a peer after its stream failed', () => {
  const recorded = '10.0.0.5:2377';

  it('tries the host the peer connects from when the recorded address failed', () => {
    assert.equal(
      addressAfterFailure({ recorded, dialled: recorded, observedHost: '10.0.0.99' }),
      '10.0.0.99:2377',
    );
  });

  it('stays at the recorded address when nothing else is known', () => {
    assert.equal(
      addressAfterFailure({ recorded, dialled: recorded, observedHost: null }),
      recorded,
    );
    assert.equal(
      addressAfterFailure({ recorded, dialled: recorded, observedHost: '10.0.0.5' }),
      recorded,
    );
  });

  it('goes back to the recorded address when a learned one failed (they alternate)', () => {
    const learned = '10.0.0.99:2377';
    let peer = { recorded, dialled: recorded, observedHost: '10.0.0.99' };
    const tried: string[] = [];
    for (let failure = 0; failure < 4; failure++) {
      peer = { ...peer, dialled: addressAfterFailure(peer) };
      tried.push(peer.dialled);
    }
    assert.deepEqual(tried, [learned, recorded, learned, recorded]);
  });
});

describe('a stream of a proven peer arrives', () => {
  const recorded = '10.0.0.5:2377';

  it('moves at once when the address dialled does not answer', () => {
    const peer = { recorded, dialled: recorded, observedHost: null };
    assert.equal(addressOnArrival(peer, '10.0.0.99', false), '10.0.0.99:2377');
  });

  it('keeps a working address, even when the peer connects from another one', () => {
    const peer = { recorded, dialled: recorded, observedHost: null };
    assert.equal(addressOnArrival(peer, '10.0.0.99', true), null);
    const multiHomed = { recorded, dialled: recorded, observedHost: '192.168.7.3' };
    assert.equal(addressOnArrival(multiHomed, '192.168.7.3', true), null);
  });

  it('moves a working address when the peer came from it before and now comes from elsewhere', () => {
    const peer = { recorded, dialled: recorded, observedHost: '10.0.0.5' };
    assert.equal(addressOnArrival(peer, '10.0.0.99', true), '10.0.0.99:2377');
  });

  it('changes nothing when the peer comes from the host dialled', () => {
    const peer = { recorded, dialled: recorded, observedHost: null };
    assert.equal(addressOnArrival(peer, '10.0.0.5', false), null);
    const learned = { recorded, dialled: '10.0.0.99:2377', observedHost: '10.0.0.99' };
    assert.equal(addressOnArrival(learned, '10.0.0.99', false), null);
  });
});
