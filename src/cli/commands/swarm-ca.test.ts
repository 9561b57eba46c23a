import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterSpec, Node } from '../../store/index.ts';
import {
  checkCaFlags,
  formatProgressLine,
  RotationDisplay,
  rotationProgress,
  rotationSpec,
} from './swarm-ca.ts';

const DESIRED = { TrustRoot: 'NEW', CertIssuerSubject: 'S2', CertIssuerPublicKey: 'K2' };
const node = (subject: string, key: string, trust: string) =>
  ({
    Description: {
      TLSInfo: { TrustRoot: trust, CertIssuerSubject: subject, CertIssuerPublicKey: key },
    },
  }) as unknown as Node;

describe('swarm ca --rotate progress', () => {
  it('counts rotated certificates, then trust roots once the rotation is over', () => {
    const nodes = [node('S2', 'K2', 'OLD'), node('S1', 'K1', 'OLD'), node('S2', 'K2', 'NEW')];
    const during = rotationProgress({ TLSInfo: DESIRED, RootRotationInProgress: true }, nodes);
    assert.equal(during.done, false);
    assert.match(during.lines[0]!.action, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      during.lines.slice(1).map((l) => [l.current, l.total]),
      [
        [2, 3],
        [0, 3],
      ],
    );
    const allCerts = [node('S2', 'K2', 'OLD'), node('S2', 'K2', 'NEW')];
    const ending = rotationProgress({ TLSInfo: DESIRED, RootRotationInProgress: false }, allCerts);
    assert.equal(ending.lines[2]!.current, 1);
    assert.equal(ending.done, false);
    const done = rotationProgress({ TLSInfo: DESIRED, RootRotationInProgress: false }, [
      node('S2', 'K2', 'NEW'),
    ]);
    assert.equal(done.done, true);
  });

  it('draws docker bars on wide terminals, counts elsewhere', () => {
    const line = { id: '  rotated TLS certificates', action: '', current: 1, total: 3 };
    assert.equal(
      formatProgressLine(line, 200, true),
      `  rotated TLS certificates:  [${'='.repeat(16)}>${' '.repeat(34)}] 1/3 nodes`,
    );
    assert.equal(formatProgressLine(line, 100, true), '  rotated TLS certificates:  1/3 nodes');
    assert.equal(
      formatProgressLine({ ...line, action: ' ', current: 0, total: 0 }, 200, true),
      '  rotated TLS certificates:',
    );
    const lines: string[] = [];
    const display = new RotationDisplay((text) => lines.push(text), false, 200);
    display.show([line]);
    display.show([line]);
    display.show([{ ...line, current: 2 }]);
    assert.deepEqual(lines, [
      '  rotated TLS certificates:  1/3 nodes\n',
      '  rotated TLS certificates:  2/3 nodes\n',
    ]);
    const terminal: string[] = [];
    const redrawn = new RotationDisplay((text) => terminal.push(text), true, 200);
    redrawn.show([line, line]);
    redrawn.show([line, line]);
    assert.ok(terminal[1]!.startsWith('\x1b[2A'), 'the second drawing moves up over the first');
  });

  it('sends ForceRotate + 1, or the given root and key; checks flags as docker does', () => {
    const spec = { CAConfig: { NodeCertExpiry: 5, ForceRotate: 2 } } as ClusterSpec;
    assert.equal(rotationSpec(spec, undefined, undefined, undefined).CAConfig.ForceRotate, 3);
    const given = rotationSpec(spec, 'CERT', 'KEY', 7);
    assert.deepEqual(given.CAConfig, {
      NodeCertExpiry: 7,
      ForceRotate: 2,
      SigningCACert: 'CERT',
      SigningCAKey: 'KEY',
    });
    assert.throws(
      () => checkCaFlags({ caCert: 'x' }),
      /`--ca-cert` flag requires the `--rotate` flag/,
    );
    assert.throws(
      () => checkCaFlags({ rotate: true, caCert: 'x' }),
      /the --ca-cert flag requires that a --ca-key flag/,
    );
    checkCaFlags({ rotate: true });
    checkCaFlags({ certExpiry: '720h' });
  });
});
