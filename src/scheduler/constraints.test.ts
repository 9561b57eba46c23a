import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesConstraints, parseConstraints } from './constraints.ts';
import { ConstraintError } from './errors.ts';
import { ipEqual, networkContains, parseCidr, parseIp } from './ip.ts';
import { node } from './test-support.ts';

function parseError(expression: string): ConstraintError {
  try {
    parseConstraints([expression]);
  } catch (error) {
    assert.ok(error instanceof ConstraintError, `${expression}: ${error}`);
    return error;
  }
  assert.fail(`${expression} parsed`);
}

test('parses key, operator and value, trimming spaces', () => {
  assert.deepEqual(parseConstraints(['node.role == manager', ' node.labels.zone!=east ']), [
    { key: 'node.role', operator: '==', value: 'manager' },
    { key: 'node.labels.zone', operator: '!=', value: 'east' },
  ]);
  assert.deepEqual(parseConstraints([]), []);
  assert.deepEqual(parseConstraints(['node.ip==10.0.0.0/8'])[0]?.value, '10.0.0.0/8');
  assert.deepEqual(parseConstraints(['engine.labels.os==ubuntu 22.04'])[0]?.value, 'ubuntu 22.04');
});

test('malformed constraints fail with swarmkit constraint.Parse messages', () => {
  const cases: [string, string][] = [
    ['foo', 'constraint expected one operator from ==, !='],
    ['node.role=manager', 'constraint expected one operator from ==, !='],
    ['node.role>manager', 'constraint expected one operator from ==, !='],
    ['==manager', "key '' is invalid"],
    ['n==manager', "key 'n' is invalid"],
    ['1node==manager', "key '1node' is invalid"],
    ['node role==manager', "key 'node role' is invalid"],
    // `==` is looked for before `!=`, so the `!` ends up in the key.
    ['node.role!==manager', "key 'node.role!' is invalid"],
    ['node.role==', "value '' is invalid"],
    ['node.labels.a==b==c', "value 'b==c' is invalid"],
    ['node.labels.a==x,y', "value 'x,y' is invalid"],
    ['node.labels.a!=<1', "value '<1' is invalid"],
  ];
  for (const [expression, message] of cases) {
    const error = parseError(expression);
    assert.equal(error.message, message, expression);
    assert.equal(error.expression, expression);
    assert.equal(error.code, 'invalid_argument');
  }
});

test('the first malformed expression of a list is reported', () => {
  assert.throws(
    () => parseConstraints(['node.role==manager', 'bad', 'x']),
    /constraint expected one operator/,
  );
});

test('matches node id, hostname, role and platform, case-insensitively', () => {
  const n = node('abc123', { hostname: 'Pi-3', role: 'manager', os: 'linux', arch: 'aarch64' });
  const matches = (...expressions: string[]) =>
    matchesConstraints(n, parseConstraints(expressions));
  assert.ok(matches('node.id==abc123'));
  assert.ok(matches('NODE.ID==ABC123'));
  assert.ok(!matches('node.id!=abc123'));
  assert.ok(matches('node.hostname==pi-3'));
  assert.ok(matches('node.hostname!=pi-4'));
  assert.ok(matches('node.role==manager', 'node.role!=worker'));
  assert.ok(matches('node.role==MANAGER'));
  assert.ok(!matches('node.role==worker'));
  assert.ok(matches('node.platform.os==linux', 'node.platform.arch==aarch64'));
  assert.ok(!matches('node.platform.os==windows'));
  assert.ok(matches(), 'no constraints: any node');
  assert.ok(!matches('node.role==manager', 'node.hostname==other'), 'all must hold');
});

test('node and engine labels: names case-sensitive, values not; missing reads as empty', () => {
  const n = node('n1', { labels: { zone: 'East', Disk: 'ssd' }, engineLabels: { os: 'ubuntu' } });
  const matches = (expression: string) => matchesConstraints(n, parseConstraints([expression]));
  assert.ok(matches('node.labels.zone==east'));
  assert.ok(matches('Node.Labels.zone==EAST'), 'the prefix is case-insensitive');
  assert.ok(!matches('node.labels.Zone==east'), 'the label name is not');
  assert.ok(matches('node.labels.Disk==ssd'));
  assert.ok(!matches('node.labels.missing==x'));
  assert.ok(matches('node.labels.missing!=x'), '!= matches nodes without the label');
  assert.ok(matches('engine.labels.os==Ubuntu'));
  assert.ok(!matches('engine.labels.os!=ubuntu'));
  assert.ok(!matches('node.labels.toString==x'), 'no inherited properties');
});

test('unknown keys match no node, whatever the operator', () => {
  const n = node('n1');
  assert.ok(!matchesConstraints(n, parseConstraints(['node.name==n1'])));
  assert.ok(!matchesConstraints(n, parseConstraints(['node.name!=n1'])));
  assert.ok(!matchesConstraints(n, parseConstraints(['node.labels.==x'])), 'bare prefix');
});

test('node.ip compares addresses and tests CIDR membership', () => {
  const v4 = node('n1', { addr: '192.168.1.20' });
  const v6 = node('n2', { addr: '2001:db8::2' });
  const matches = (n: typeof v4, expression: string) =>
    matchesConstraints(n, parseConstraints([expression]));
  assert.ok(matches(v4, 'node.ip==192.168.1.20'));
  assert.ok(matches(v4, 'node.ip!=192.168.1.21'));
  assert.ok(matches(v4, 'node.ip==192.168.1.0/24'));
  assert.ok(matches(v4, 'node.ip==::ffff:192.168.1.20'), 'IPv4-mapped is the same address');
  assert.ok(!matches(v4, 'node.ip!=192.168.0.0/16'));
  assert.ok(matches(v4, 'node.ip!=10.0.0.0/8'));
  assert.ok(matches(v6, 'node.ip==2001:0db8:0:0::2'));
  assert.ok(matches(v6, 'node.ip==2001:db8::/32'));
  assert.ok(!matches(v6, 'node.ip==192.168.1.0/24'));
  assert.ok(matches(v6, 'node.ip!=192.168.1.0/24'));
  // A value that is no address or network matches nothing, even with !=.
  assert.ok(!matches(v4, 'node.ip==banana'));
  assert.ok(!matches(v4, 'node.ip!=banana'));
  // A node without a parseable address is no member and equal to nothing.
  const unknown = node('n3', { addr: '' });
  assert.ok(!matches(unknown, 'node.ip==10.0.0.1'));
  assert.ok(matches(unknown, 'node.ip!=10.0.0.0/8'));
});

test('IP parsing follows Go: no leading zeros, one ::, dotted tails, masked networks', () => {
  assert.equal(parseIp('010.0.0.1'), undefined);
  assert.equal(parseIp('1.2.3'), undefined);
  assert.equal(parseIp('256.1.1.1'), undefined);
  assert.equal(parseIp('1::2::3'), undefined);
  assert.equal(parseIp('1:2:3:4:5:6:7:8:9'), undefined);
  assert.equal(parseIp('1:2:3:4:5:6:7:8::'), undefined);
  assert.ok(parseIp('::'));
  assert.ok(parseIp('::1'));
  assert.ok(ipEqual(parseIp('::ffff:1.2.3.4')!, parseIp('1.2.3.4')!));
  assert.ok(ipEqual(parseIp('1:2:3:4:5:6:7:8')!, parseIp('1:2:3:4:5:6:0.7.0.8')!));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.ok(networkContains(parseCidr('10.1.2.3/8')!, parseIp('10.200.0.1')));
  assert.ok(networkContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')));
  assert.ok(!networkContains(parseCidr('0.0.0.0/0')!, parseIp('2001:db8::1')));
});
