import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CreateOptions,
  INGRESS_WARNING,
  type NetworkIo,
  runNetworkCreate,
  runNetworkInspect,
  runNetworkList,
  runNetworkRemove,
} from './network-commands.ts';
import { daemonError } from './service/index.ts';
import { FakeDaemon } from './service/test-support.ts';

function io(answers: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const streams: NetworkIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    readLine: async () => answers.shift(),
  };
  return { streams, out: () => out.join(''), err: () => err.join('') };
}

const defaults: CreateOptions = {
  driver: 'overlay',
  attachable: false,
  internal: false,
  ingress: false,
  ipv6: false,
  subnet: [],
  gateway: [],
  ipRange: [],
  ipamDriver: 'default',
  ipamOpt: [],
  label: [],
  opt: [],
  scope: '',
  configOnly: false,
  configFrom: '',
  auxAddress: [],
};

const resource = (name: string, id: string, extra: object = {}) => ({
  Name: name,
  Id: id,
  Created: '2024-01-01T00:00:00Z',
  Scope: 'swarm',
  Driver: 'overlay',
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Containers: {},
  Options: {},
  Labels: {},
  ...extra,
});

describe('shoal network', () => {
  it("create sends docker's request and prints the ID", async () => {
    const daemon = new FakeDaemon({ 'POST /networks/create': { Id: 'abc123', Warning: '' } });
    const output = io();
    await runNetworkCreate(
      daemon,
      'backend',
      {
        ...defaults,
        attachable: true,
        subnet: ['10.9.0.0/24'],
        gateway: ['10.9.0.254'],
        label: ['team=blue', 'flag'],
        opt: ['encrypted'],
      },
      output.streams,
    );
    assert.equal(output.out(), 'abc123\n');
    assert.deepEqual(daemon.requests[0]?.body, {
      Name: 'backend',
      CheckDuplicate: true,
      Driver: 'overlay',
      Scope: '',
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254' }],
        Options: {},
      },
      Internal: false,
      Attachable: true,
      Ingress: false,
      ConfigOnly: false,
      Options: { encrypted: '' },
      Labels: { team: 'blue', flag: '' },
    });
  });

  it('create refuses a gateway without a subnet before asking the daemon', async () => {
    const daemon = new FakeDaemon({});
    await assert.rejects(
      runNetworkCreate(daemon, 'n', { ...defaults, gateway: ['10.0.0.1'] }, io().streams),
      { message: 'every ip-range or gateway must have a corresponding subnet' },
    );
    assert.equal(daemon.requests.length, 0);
  });

  it("ls prints docker's table sorted by name, with filters passed on", async () => {
    const daemon = new FakeDaemon({
      'GET /networks': [
        resource('web10', 'b'.repeat(25)),
        resource('web9', 'a'.repeat(25)),
        resource('ingress', 'c'.repeat(25), { Ingress: true }),
      ],
    });
    const output = io();
    await runNetworkList(
      daemon,
      { quiet: false, noTrunc: false, filters: ['driver=overlay'] },
      output.streams,
    );
    assert.equal(
      output.out(),
      [
        'NETWORK ID     NAME      DRIVER    SCOPE',
        'cccccccccccc   ingress   overlay   swarm',
        'aaaaaaaaaaaa   web9      overlay   swarm',
        'bbbbbbbbbbbb   web10     overlay   swarm',
        '',
      ].join('\n'),
    );
    assert.deepEqual(daemon.lines(), ['GET /networks?filters={"driver":{"overlay":true}}']);
    const quiet = io();
    await runNetworkList(daemon, { quiet: true, noTrunc: true, filters: [] }, quiet.streams);
    assert.equal(quiet.out(), `${'c'.repeat(25)}\n${'a'.repeat(25)}\n${'b'.repeat(25)}\n`);
    const custom = io();
    await runNetworkList(
      daemon,
      { quiet: false, noTrunc: false, format: '{{.Name}} {{.Internal}}', filters: [] },
      custom.streams,
    );
    assert.equal(custom.out(), 'ingress false\nweb9 false\nweb10 false\n');
  });

  it('inspect prints JSON or a template; a missing network is an error after the others', async () => {
    const daemon = new FakeDaemon({ 'GET /networks/web': resource('web', 'w1') });
    const output = io();
    await runNetworkInspect(daemon, ['web'], { format: '{{.Name}} {{.Scope}}' }, output.streams);
    assert.equal(output.out(), 'web swarm\n');
    const both = io();
    await assert.rejects(runNetworkInspect(daemon, ['web', 'nope'], {}, both.streams), {
      message: 'Error: No such network: nope',
    });
    assert.equal(JSON.parse(both.out())[0].Name, 'web');
  });

  it('rm prints each removed name, reports failures, exits 1; asks before removing ingress', async () => {
    const daemon = new FakeDaemon({
      'GET /networks/web': resource('web', 'w1'),
      'DELETE /networks/web': undefined,
      'GET /networks/used': resource('used', 'u1'),
      'DELETE /networks/used': daemonError(
        400,
        'rpc error: code = FailedPrecondition desc = network used (u1) is in use by service api (s1)',
      ),
      'GET /networks/ingress': resource('ingress', 'i1', { Ingress: true }),
      'DELETE /networks/ingress': undefined,
    });
    const output = io(['n']);
    const status = await runNetworkRemove(
      daemon,
      ['web', 'nope', 'used', 'ingress'],
      { force: false },
      output.streams,
    );
    assert.equal(status, 1);
    assert.equal(output.out(), `web\n${INGRESS_WARNING} [y/N] `);
    assert.equal(
      output.err(),
      'Error: No such network: nope\nError response from daemon: rpc error: code = FailedPrecondition desc = network used (u1) is in use by service api (s1)\n',
    );
    assert.ok(!daemon.lines().includes('DELETE /networks/ingress'), 'not confirmed: kept');
    const confirmed = io(['y']);
    assert.equal(
      await runNetworkRemove(daemon, ['ingress', 'nope'], { force: true }, confirmed.streams),
      0,
    );
    assert.equal(confirmed.out(), `${INGRESS_WARNING} [y/N] ingress\n`);
  });
});
