// The requests `node ps` makes, in docker's order, and what it prints, against a fake daemon.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../store/index.ts';
import { nodeReference, resolveTaskNames, runNodePs } from './node-ps.ts';
import { daemonError } from './service/api.ts';
import { captureIo, FakeDaemon } from './service/test-support.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function task(id: string, nodeId: string, slot: number, extra: Partial<Task> = {}): Task {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: '2024-05-01T11:59:00Z',
    UpdatedAt: '2024-05-01T11:59:00Z',
    Labels: {},
    Spec: { ContainerSpec: { Image: 'nginx:1.26' } },
    ServiceID: 'svcweb0000000000000000001',
    Slot: slot,
    NodeID: nodeId,
    Status: { Timestamp: '2024-05-01T11:59:30Z', State: 'running', Message: '' },
    DesiredState: 'running',
    ...extra,
  } as Task;
}

const node = (id: string, hostname: string, name = '') => ({
  ID: id,
  Spec: { Name: name },
  Description: { Hostname: hostname },
});

const T1 = task('task1aaaaaaaaaaaaaaaaaaaa', 'node1id0000000000000000001', 1);
const T2 = task('task2bbbbbbbbbbbbbbbbbbbb', 'node2id0000000000000000002', 2);

/** A daemon with two nodes (pi-1 is self) and one task on each. */
function cluster() {
  return new FakeDaemon({
    'GET /info': { Swarm: { NodeID: 'node1id0000000000000000001' } },
    'GET /nodes/node1id0000000000000000001': node('node1id0000000000000000001', 'pi-1'),
    'GET /nodes/pi-1': node('node1id0000000000000000001', 'pi-1'),
    'GET /nodes/pi-2': node('node2id0000000000000000002', 'pi-2'),
    'GET /nodes/node2id0000000000000000002': node('node2id0000000000000000002', 'pi-2'),
    'GET /tasks': (request: { query?: { filters?: string } }) =>
      [T1, T2].filter((t) => request.query?.filters?.includes(`"${t.NodeID}"`)),
    'GET /services/svcweb0000000000000000001': {
      ID: 'svcweb0000000000000000001',
      Spec: { Name: 'web' },
    },
  });
}

const defaults = { quiet: false, noTrunc: false, noResolve: false, filters: [] };

describe('node ps', () => {
  it('defaults to self: GET /info, inspects the node, lists its tasks, resolves names', async () => {
    const daemon = cluster();
    const io = captureIo(NOW);
    await runNodePs(daemon, [], defaults, io);
    assert.deepEqual(daemon.lines(), [
      'GET /info',
      'GET /nodes/node1id0000000000000000001',
      'GET /tasks?filters={"node":{"node1id0000000000000000001":true}}',
      'GET /services/svcweb0000000000000000001?insertDefaults=false',
      'GET /nodes/node1id0000000000000000001',
    ]);
    assert.equal(
      io.stdout,
      [
        'ID             NAME      IMAGE        NODE      DESIRED STATE   CURRENT STATE            ERROR     PORTS',
        'task1aaaaaaa   web.1     nginx:1.26   pi-1      Running         Running 30 seconds ago             ',
        '',
      ].join('\n'),
    );
  });

  it('several nodes by name: one query each with the user filters kept, tables merged', async () => {
    const daemon = cluster();
    const io = captureIo(NOW);
    await runNodePs(
      daemon,
      ['pi-1', 'pi-2'],
      { ...defaults, filters: ['desired-state=running'] },
      io,
    );
    assert.deepEqual(
      daemon.lines().filter((line) => line.startsWith('GET /tasks')),
      [
        'GET /tasks?filters={"desired-state":{"running":true},"node":{"node1id0000000000000000001":true}}',
        'GET /tasks?filters={"desired-state":{"running":true},"node":{"node2id0000000000000000002":true}}',
      ],
    );
    assert.match(io.stdout, /web\.1 .* pi-1 .*\n.*web\.2 .* pi-2 /);
  });

  it('an unknown node is reported as docker words it, after the others are printed', async () => {
    const daemon = cluster();
    const io = captureIo(NOW);
    await assert.rejects(runNodePs(daemon, ['nope', 'pi-2'], defaults, io), {
      message: 'Error: No such node: nope',
    });
    assert.match(io.stdout, /^ID +NAME.*\n.*web\.2/);
  });

  it('nothing printed when no node was found, every error joined (exit 1)', async () => {
    const daemon = cluster();
    const io = captureIo(NOW);
    await assert.rejects(
      runNodePs(daemon, ['x', 'y'], defaults, io),
      (error: Error & { exitCode?: number }) => {
        assert.equal(error.message, 'Error: No such node: x\nError: No such node: y');
        assert.equal(error.exitCode, 1);
        return true;
      },
    );
    assert.equal(io.stdout, '');
  });

  it('a found node without tasks prints the header alone', async () => {
    const daemon = new FakeDaemon({
      'GET /nodes/pi-3': node('node3', 'pi-3'),
      'GET /tasks': [],
    });
    const io = captureIo(NOW);
    await runNodePs(daemon, ['pi-3'], defaults, io);
    assert.match(
      io.stdout,
      /^ID +NAME +IMAGE +NODE +DESIRED STATE +CURRENT STATE +ERROR +PORTS\n$/,
    );
  });

  it('-q keeps IDs truncated as docker node ps does; --no-trunc gives them whole', async () => {
    const quiet = captureIo(NOW);
    await runNodePs(cluster(), ['pi-1', 'pi-2'], { ...defaults, quiet: true }, quiet);
    assert.equal(quiet.stdout, 'task1aaaaaaa\ntask2bbbbbbb\n');
    const whole = captureIo(NOW);
    await runNodePs(cluster(), ['pi-1'], { ...defaults, noTrunc: true, format: '{{.ID}}' }, whole);
    assert.equal(whole.stdout, 'task1aaaaaaaaaaaaaaaaaaaa\n');
  });

  it('--no-resolve shows IDs and looks nothing up', async () => {
    const daemon = cluster();
    const io = captureIo(NOW);
    await runNodePs(
      daemon,
      ['pi-2'],
      { ...defaults, noResolve: true, format: '{{.Name}} {{.Node}}' },
      io,
    );
    assert.equal(io.stdout, 'svcweb0000000000000000001.2 node2id0000000000000000002\n');
    assert.equal(daemon.lines().length, 2);
  });

  it('a bad filter is a flag error (exit 125) before any request', async () => {
    const daemon = cluster();
    await assert.rejects(
      runNodePs(daemon, [], { ...defaults, filters: ['bogus'] }, captureIo(NOW)),
      (error: Error & { exitCode?: number }) => {
        assert.equal(error.exitCode, 125);
        assert.match(error.message, /bad format of filter \(expected name=value\)/);
        return true;
      },
    );
    assert.deepEqual(daemon.requests, []);
  });
});

describe('node reference and name resolution', () => {
  it('self without a node ID in /info: the swarm error of GET /nodes, else docker wording', async () => {
    const worker = new FakeDaemon({
      'GET /info': { Swarm: { NodeID: '' } },
      'GET /nodes': daemonError(503, 'This node is not a swarm manager.'),
    });
    await assert.rejects(nodeReference(worker, 'self'), {
      message: 'Error response from daemon: This node is not a swarm manager.',
    });
    const odd = new FakeDaemon({ 'GET /info': { Swarm: {} }, 'GET /nodes': [] });
    await assert.rejects(nodeReference(odd, 'self'), { message: 'node ID not found in /info' });
    assert.equal(await nodeReference(odd, 'pi-7'), 'pi-7');
  });

  it('names: node Spec.Name, else hostname, else the ID; each looked up once', async () => {
    const daemon = new FakeDaemon({
      'GET /nodes/a': node('a', 'host-a', 'named-a'),
      'GET /nodes/b': node('b', 'host-b'),
      'GET /services/svcweb0000000000000000001': daemonError(404, 'gone'),
    });
    const names = await resolveTaskNames(
      daemon,
      [task('t1', 'a', 1), task('t2', 'a', 2), task('t3', 'b', 3), task('t4', 'c', 4)],
      false,
    );
    assert.deepEqual(
      [...names.nodes],
      [
        ['a', 'named-a'],
        ['b', 'host-b'],
        ['c', 'c'],
      ],
    );
    assert.deepEqual(
      [...names.services],
      [['svcweb0000000000000000001', 'svcweb0000000000000000001']],
    );
    assert.equal(daemon.requests.length, 4);
  });
});
