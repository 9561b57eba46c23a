// Docker's multiplexed log stream, and the lines `service logs` prints from it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeFrame,
  FrameDecoder,
  LogLineFormatter,
  type LogNameResolver,
  parseLogDetails,
  STREAM_STDERR,
  STREAM_STDOUT,
} from './log-stream.ts';
import { runServiceLogs, sinceTimestamp } from './logs.ts';
import { FakeDaemon } from './test-support.ts';

const DETAILS =
  'com.docker.swarm.node.id=node1id,com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=task1aaaaaaaaaaaaaaaaaaaa';

describe('log frames', () => {
  it('decodes frames split anywhere and several in one chunk', () => {
    const bytes = Buffer.concat([
      encodeFrame(STREAM_STDOUT, 'hello\n'),
      encodeFrame(STREAM_STDERR, 'oops\n'),
      encodeFrame(1, ''),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [
        ...decoder.push(bytes.subarray(0, cut)),
        ...decoder.push(bytes.subarray(cut)),
      ];
      assert.deepEqual(
        frames.map((frame) => [frame.stream, frame.payload.toString()]),
        [
          [1, 'hello\n'],
          [2, 'oops\n'],
          [1, ''],
        ],
        `cut at ${cut}`,
      );
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it("refuses an unknown stream byte, as docker's StdCopy does", () => {
    assert.throws(() => new FrameDecoder().push(Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65])), {
      message: 'Unrecognized input header: 7',
    });
  });

  it('details are query-escaped pairs', () => {
    assert.deepEqual(
      [...parseLogDetails('a=1,com.example.key=hello%2C+world,empty=')],
      [
        ['a', '1'],
        ['com.example.key', 'hello, world'],
        ['empty', ''],
      ],
    );
    assert.throws(() => parseLogDetails(''), { message: 'details cannot be empty' });
    assert.throws(() => parseLogDetails('novalue'), { message: 'invalid details format' });
  });
});

describe('log lines', () => {
  const resolver: LogNameResolver = {
    nodeName: async (id) => (id === 'node1id' ? 'pi-1' : id),
    serviceName: async (id) => (id === 'svc1' ? 'web' : id),
    task: async (id) => ({ ID: id, Slot: 3 }),
  };
  const options = {
    timestamps: false,
    details: false,
    noTaskIds: false,
    noTrunc: false,
    padding: 2,
  };

  it('name.slot.taskid@node, padded to the widest slot, then "    | "', async () => {
    const formatter = new LogLineFormatter(resolver, options);
    assert.equal(
      await formatter.format(`${DETAILS} GET / 200\n`),
      'web.3.task1aaaaaaa@pi-1     | GET / 200\n',
    );
  });

  it('timestamps first; --details shows the other details; --no-task-ids; --no-trunc', async () => {
    const line = `2024-05-01T12:00:00.000000000Z ${DETAILS},zone=b,app=x started\n`;
    assert.equal(
      await new LogLineFormatter(resolver, { ...options, timestamps: true, details: true }).format(
        line,
      ),
      '2024-05-01T12:00:00.000000000Z web.3.task1aaaaaaa@pi-1     | app=x,zone=b started\n',
    );
    assert.equal(
      await new LogLineFormatter(resolver, {
        ...options,
        timestamps: true,
        noTaskIds: true,
        padding: 1,
      }).format(line),
      '2024-05-01T12:00:00.000000000Z web.3@pi-1    | started\n',
    );
    assert.equal(
      await new LogLineFormatter(resolver, {
        ...options,
        timestamps: true,
        noTrunc: true,
        padding: 1,
      }).format(line),
      '2024-05-01T12:00:00.000000000Z web.3.task1aaaaaaaaaaaaaaaaaaaa@pi-1    | started\n',
    );
  });

  it('resolves each context once', async () => {
    let lookups = 0;
    const counting: LogNameResolver = {
      ...resolver,
      task: async (id) => ({ ID: id, Slot: 1 + 0 * lookups++ }),
    };
    const formatter = new LogLineFormatter(counting, options);
    await formatter.format(`${DETAILS} a\n`);
    await formatter.format(`${DETAILS} b\n`);
    assert.equal(lookups, 1);
  });

  it('lines without the context are errors', async () => {
    await assert.rejects(new LogLineFormatter(resolver, options).format('nodetails'), {
      message: 'invalid context in log message: nodetails',
    });
    await assert.rejects(
      new LogLineFormatter(resolver, options).format('a=b message'),
      /missing node id in details/,
    );
  });
});

describe('service logs (requests and output)', () => {
  const svc = {
    ID: 'svc1',
    Spec: {
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
      Mode: { Replicated: { Replicas: 12 } },
    },
  };
  const stream = Buffer.concat([
    encodeFrame(STREAM_STDOUT, `${DETAILS} line one\n`),
    encodeFrame(STREAM_STDERR, `${DETAILS} warning\n`),
  ]);
  const routes = {
    'GET /services/web': svc,
    'GET /services/svc1': svc,
    'GET /nodes/node1id': { ID: 'node1id', Spec: {}, Description: { Hostname: 'pi-1' } },
    'GET /tasks/task1aaaaaaaaaaaaaaaaaaaa': { ID: 'task1aaaaaaaaaaaaaaaaaaaa', Slot: 3 },
  };
  const flags = {
    follow: true,
    tail: '10',
    timestamps: false,
    noTaskIds: false,
    noTrunc: false,
    noResolve: false,
    raw: false,
    details: false,
  };

  it("GET /services/web/logs with docker's query, lines to stdout and stderr", async () => {
    const daemon = new FakeDaemon(routes, { '/services/web/logs': stream });
    const out = { stdout: '', stderr: '' };
    await runServiceLogs(
      daemon,
      'web',
      { ...flags, since: '10m' },
      {
        stdout: (data) => {
          out.stdout += data;
        },
        stderr: (data) => {
          out.stderr += data;
        },
      },
      Date.parse('2024-05-01T12:00:00Z'),
    );
    assert.deepEqual(daemon.lines(), [
      'GET /services/web?insertDefaults=false',
      `GET /services/web/logs?stdout=1&stderr=1&since=${Date.parse('2024-05-01T11:50:00Z') / 1000}&details=1&follow=1&tail=10`,
      'GET /nodes/node1id',
      'GET /services/svc1?insertDefaults=false',
      'GET /tasks/task1aaaaaaaaaaaaaaaaaaaa',
    ]);
    assert.equal(out.stdout, 'web.3.task1aaaaaaa@pi-1     | line one\n');
    assert.equal(out.stderr, 'web.3.task1aaaaaaa@pi-1     | warning\n');
  });

  it('--raw asks for no details and prints the payloads', async () => {
    const raw = Buffer.concat([encodeFrame(STREAM_STDOUT, 'plain\n')]);
    const daemon = new FakeDaemon(routes, { '/services/web/logs': raw });
    let printed = '';
    await runServiceLogs(
      daemon,
      'web',
      { ...flags, raw: true, follow: false, tail: 'all', timestamps: true },
      {
        stdout: (data) => {
          printed += data;
        },
        stderr: () => {},
      },
      0,
    );
    assert.equal(
      daemon.lines()[1],
      'GET /services/web/logs?stdout=1&stderr=1&timestamps=1&tail=all',
    );
    assert.equal(printed, 'plain\n');
  });

  it('a task ID when no service matches; neither is an error', async () => {
    const task = { ID: 'task9', Slot: 1, Spec: { ContainerSpec: { Image: 'x' } } };
    const daemon = new FakeDaemon(
      { 'GET /tasks/task9': task },
      { '/tasks/task9/logs': Buffer.alloc(0) },
    );
    await runServiceLogs(daemon, 'task9', flags, { stdout: () => {}, stderr: () => {} }, 0);
    assert.equal(
      daemon.lines()[2],
      'GET /tasks/task9/logs?stdout=1&stderr=1&details=1&follow=1&tail=10',
    );
    await assert.rejects(
      runServiceLogs(
        new FakeDaemon({}),
        'nothing',
        flags,
        { stdout: () => {}, stderr: () => {} },
        0,
      ),
      { message: 'no such task or service: nothing' },
    );
  });

  it('TTY services only with --raw', async () => {
    const tty = {
      ...svc,
      Spec: { ...svc.Spec, TaskTemplate: { ContainerSpec: { Image: 'x', TTY: true } } },
    };
    await assert.rejects(
      runServiceLogs(
        new FakeDaemon({ 'GET /services/web': tty }),
        'web',
        flags,
        { stdout: () => {}, stderr: () => {} },
        0,
      ),
      { message: 'tty service logs only supported with --raw' },
    );
  });

  it('--since: durations, dates and unix timestamps', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    assert.equal(sinceTimestamp('42m', now), String(now / 1000 - 42 * 60));
    assert.equal(sinceTimestamp('2024-05-01T11:00:00Z', now), `${now / 1000 - 3600}.000000000`);
    assert.equal(sinceTimestamp('2024-05-01T11:00:00.5Z', now), `${now / 1000 - 3600}.500000000`);
    assert.equal(sinceTimestamp('1714561200', now), '1714561200');
    assert.throws(() => sinceTimestamp('yesterday', now), {
      message: 'invalid value for "since": failed to parse value as time or duration: "yesterday"',
    });
  });
});
