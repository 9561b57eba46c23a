import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkError } from './errors.ts';
import { networkSpecOf } from './spec.ts';

function refused(body: unknown, code: NetworkError['code'], message: RegExp): void {
  assert.throws(
    () => networkSpecOf(body),
    (error: unknown) =>
      error instanceof NetworkError && error.code === code && message.test(error.message),
  );
}

describe('network create requests', () => {
  it('turns a docker CLI request into a swarm overlay spec', () => {
    const spec = networkSpecOf({
      Name: 'backend',
      CheckDuplicate: true,
      Driver: 'overlay',
      Scope: 'swarm',
      Attachable: true,
      Internal: true,
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: '10.20.0.0/16', IPRange: '10.20.1.0/24', Gateway: '10.20.0.1' }],
        Options: {},
      },
      Options: { encrypted: '' },
      Labels: { team: 'blue' },
    });
    assert.deepEqual(spec, {
      Name: 'backend',
      Labels: { team: 'blue' },
      DriverConfiguration: { Name: 'overlay', Options: { encrypted: '' } },
      Scope: 'swarm',
      Internal: true,
      Attachable: true,
      IPAMOptions: {
        Driver: { Name: 'default' },
        Configs: [{ Subnet: '10.20.0.0/16', Range: '10.20.1.0/24', Gateway: '10.20.0.1' }],
      },
    });
    // No driver: overlay (Shoal's only one).
    assert.equal(networkSpecOf({ Name: 'x' }).DriverConfiguration?.Name, 'overlay');
  });

  it('refuses names as dockerd and swarmkit do', () => {
    refused(
      {},
      'invalid_argument',
      /^rpc error: code = InvalidArgument desc = meta: name must be provided$/,
    );
    refused(
      { Name: 'bridge' },
      'permission_denied',
      /^operation is not permitted on predefined bridge network$/,
    );
    refused({ Name: 'my.net' }, 'invalid_argument', /name must be valid as a DNS name component/);
    refused({ Name: 'a'.repeat(64) }, 'invalid_argument', /name must be 63 characters or fewer/);
  });

  it('refuses what Shoal does not offer, saying what to do instead', () => {
    refused(
      { Name: 'n', Driver: 'bridge' },
      'invalid_argument',
      /driver "bridge" is not supported.*-d overlay/,
    );
    refused({ Name: 'n', Scope: 'local' }, 'invalid_argument', /scope "local" is not supported/);
    refused(
      { Name: 'n', EnableIPv6: true },
      'invalid_argument',
      /IPv6 \(--ipv6\) is not supported/,
    );
    refused({ Name: 'n', ConfigOnly: true }, 'invalid_argument', /config-only networks/);
    refused({ Name: 'n', IPAM: { Driver: 'dhcp' } }, 'invalid_argument', /IPAM driver "dhcp"/);
    refused(
      { Name: 'n', IPAM: { Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24' }] } },
      'invalid_argument',
      /one IPv4 subnet, got 2/,
    );
    refused(
      { Name: 'n', IPAM: { Config: [{ Subnet: 'fd00::/64' }] } },
      'invalid_argument',
      /IPv6 subnet/,
    );
  });

  it('refuses bad address ranges with swarmkit words', () => {
    const ipam = (config: object) => ({ Name: 'n', IPAM: { Config: [config] } });
    refused(
      ipam({ Subnet: '10.0.300.0/24' }),
      'invalid_argument',
      /ipam configuration: invalid subnet 10.0.300.0\/24$/,
    );
    refused(ipam({ Subnet: 'nonsense' }), 'invalid_argument', /invalid subnet nonsense/);
    refused(
      ipam({ Subnet: '10.0.1.5/24' }),
      'invalid_argument',
      /host bits are set \(did you mean 10.0.1.0\/24\?\)/,
    );
    refused(ipam({ Subnet: '10.0.1.0/31' }), 'invalid_argument', /too small: use a \/30 or larger/);
    refused(
      ipam({ Subnet: '10.0.1.0/24', Gateway: '10.0.2.1' }),
      'invalid_argument',
      /subnet 10.0.1.0\/24 does not contain gateway 10.0.2.1/,
    );
    refused(
      ipam({ Subnet: '10.0.1.0/24', Gateway: '10.0.1' }),
      'invalid_argument',
      /invalid gateway 10.0.1$/,
    );
    refused(
      ipam({ Subnet: '10.0.1.0/24', Gateway: '10.0.1.255' }),
      'invalid_argument',
      /network or broadcast address/,
    );
    refused(
      ipam({ Subnet: '10.0.1.0/24', IPRange: '10.0.0.0/23' }),
      'invalid_argument',
      /does not contain range 10.0.0.0\/23/,
    );
  });

  it("keeps swarmkit's reserved labels and ingress rules", () => {
    refused(
      { Name: 'n', Labels: { 'com.docker.swarm.internal': 'true' } },
      'permission_denied',
      /label com.docker.swarm.internal is for predefined internal networks and cannot be applied by users/,
    );
    refused(
      { Name: 'n', Ingress: true, Attachable: true },
      'invalid_argument',
      /ingress network cannot be attachable/,
    );
    assert.equal(networkSpecOf({ Name: 'mesh', Ingress: true }).Ingress, true);
  });
});
