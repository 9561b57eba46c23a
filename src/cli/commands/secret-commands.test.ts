// `shoal secret` and `shoal config` bodies against a recording daemon: the requests docker's CLI
// makes, its tables, pretty output, messages and exit codes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliError } from '../connection.ts';
import {
  type FileObjectView,
  goTimeString,
  runCreate,
  runInspect,
  runList,
  runRemove,
} from './secret-commands.ts';
import { daemonError } from './service/api.ts';
import { FakeDaemon } from './service/test-support.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function io() {
  const captured = { stdout: '', out: (text: string) => (captured.stdout += text), now: () => NOW };
  return captured;
}

function object(
  id: string,
  name: string,
  extra: Partial<FileObjectView['Spec']> = {},
): FileObjectView {
  return {
    ID: id,
    Version: { Index: 11 },
    CreatedAt: '2024-05-01T10:00:00.123Z',
    UpdatedAt: '2024-05-01T11:59:30Z',
    Spec: { Name: name, Labels: {}, ...extra },
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('create', () => {
  test('a secret from a file, with labels: POST /secrets/create, the ID printed', async () => {
    const daemon = new FakeDaemon({ 'POST /secrets/create': { ID: 'sec123' } });
    const out = io();
    await runCreate(
      daemon,
      'secret',
      'db_pass',
      'pass.txt',
      {
        labels: ['env=prod', 'flag'],
        stdin: () => Buffer.alloc(0),
        readFile: (path) => {
          assert.equal(path, 'pass.txt');
          return Buffer.from('hunter2');
        },
      },
      out,
    );
    assert.equal(out.stdout, 'sec123\n');
    assert.deepEqual(daemon.requests[0]!.body, {
      Name: 'db_pass',
      Labels: { env: 'prod', flag: '' },
      Data: b64('hunter2'),
    });
  });

  test('a config from stdin with the golang template driver', async () => {
    const daemon = new FakeDaemon({ 'POST /configs/create': { ID: 'cfg1' } });
    await runCreate(
      daemon,
      'config',
      'app.conf',
      '-',
      { labels: [], templateDriver: 'golang', stdin: () => Buffer.from('{{ .Task.Slot }}') },
      io(),
    );
    assert.deepEqual(daemon.requests[0]!.body, {
      Name: 'app.conf',
      Labels: {},
      Data: b64('{{ .Task.Slot }}'),
      Templating: { Name: 'golang' },
    });
  });

  test("unreadable files in docker's words; no file leaves the data out", async () => {
    const missing = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    const daemon = new FakeDaemon({ 'POST /secrets/create': { ID: 'x' } });
    await assert.rejects(
      runCreate(
        daemon,
        'secret',
        'a',
        '/nope',
        { labels: [], stdin: () => Buffer.alloc(0), readFile: missing },
        io(),
      ),
      { message: 'Error reading content from "/nope": open /nope: no such file or directory' },
    );
    await assert.rejects(
      runCreate(
        daemon,
        'config',
        'a',
        '/nope',
        { labels: [], stdin: () => Buffer.alloc(0), readFile: missing },
        io(),
      ),
      { message: 'open /nope: no such file or directory' },
    );
    await assert.rejects(
      runCreate(
        daemon,
        'secret',
        'a',
        'f',
        { labels: [], driver: 'vault', stdin: () => Buffer.alloc(0) },
        io(),
      ),
      { message: 'When using secret driver secret data must be empty' },
    );
    await assert.rejects(
      runCreate(
        daemon,
        'secret',
        'a',
        undefined,
        { labels: ['=x'], stdin: () => Buffer.alloc(0) },
        io(),
      ),
      (error: unknown) => error instanceof CliError && error.exitCode === 125,
    );
    assert.equal(daemon.requests.length, 0);
    await runCreate(
      daemon,
      'secret',
      'a',
      undefined,
      { labels: [], stdin: () => Buffer.alloc(0) },
      io(),
    );
    assert.deepEqual(daemon.requests[0]!.body, { Name: 'a', Labels: {} });
  });
});

describe('ls', () => {
  const listed = [
    object('id10', 'web10', { Labels: { a: 'b' } }),
    object('id2', 'web2'),
    object('id1', 'db'),
  ];

  test("docker's table, sorted by name naturally; -q; --format; filters sent", async () => {
    const daemon = new FakeDaemon({ 'GET /secrets': listed, 'GET /configs': listed });
    const table = io();
    await runList(daemon, 'secret', { quiet: false, filters: ['name=web', 'label=a'] }, table);
    assert.equal(
      table.stdout,
      [
        'ID        NAME      DRIVER    CREATED       UPDATED',
        'id1       db                  2 hours ago   30 seconds ago',
        'id2       web2                2 hours ago   30 seconds ago',
        'id10      web10               2 hours ago   30 seconds ago',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      daemon.lines()[0],
      'GET /secrets?filters={"name":{"web":true},"label":{"a":true}}',
    );
    const configs = io();
    await runList(daemon, 'config', { quiet: false, filters: [] }, configs);
    assert.equal(configs.stdout.split('\n')[0], 'ID        NAME      CREATED       UPDATED');
    const quiet = io();
    await runList(daemon, 'secret', { quiet: true, filters: [] }, quiet);
    assert.equal(quiet.stdout, 'id1\nid2\nid10\n');
    const custom = io();
    await runList(
      daemon,
      'secret',
      { quiet: true, filters: [], format: '{{.Name}}:{{.Labels}}:{{.Label "a"}}' },
      custom,
    );
    assert.equal(custom.stdout, 'db::\nweb2::\nweb10:a=b:b\n');
    await assert.rejects(
      runList(daemon, 'secret', { quiet: false, filters: ['name'] }, io()),
      (error: unknown) => error instanceof CliError && error.exitCode === 125,
    );
  });
});

describe('inspect', () => {
  test('JSON by default; what exists is printed, the rest named as missing, exit 1', async () => {
    const daemon = new FakeDaemon({ 'GET /secrets/db': object('id1', 'db') });
    const out = io();
    await assert.rejects(
      runInspect(daemon, 'secret', ['db', 'nope'], { pretty: false }, out),
      (error: unknown) =>
        error instanceof CliError &&
        error.exitCode === 1 &&
        error.message === 'Error: No such secret: nope',
    );
    assert.deepEqual(JSON.parse(out.stdout), [object('id1', 'db')]);
    assert.match(out.stdout, /^\[\n {4}\{\n {8}"ID": "id1"/);
  });

  test('--pretty as docker lays it out, for a secret and a config', async () => {
    const daemon = new FakeDaemon({
      'GET /secrets/db': object('id1', 'db', { Labels: { env: 'prod', bare: '' } }),
      'GET /configs/app': object('cid', 'app', { Data: b64('port=8080') }),
    });
    const secret = io();
    await runInspect(daemon, 'secret', ['db'], { pretty: true }, secret);
    assert.equal(
      secret.stdout,
      [
        'ID:              id1',
        'Name:              db',
        'Labels:',
        ' - bare',
        ' - env=prod',
        'Driver:            ',
        'Created at:        2024-05-01 10:00:00.123 +0000 UTC',
        'Updated at:        2024-05-01 11:59:30 +0000 UTC',
        '',
      ].join('\n'),
    );
    const config = io();
    await runInspect(daemon, 'config', ['app'], { pretty: true }, config);
    assert.equal(
      config.stdout,
      [
        'ID:\t\t\tcid',
        'Name:\t\t\tapp',
        'Created at:            \t2024-05-01 10:00:00.123 +0000 UTC',
        'Updated at:            \t2024-05-01 11:59:30 +0000 UTC',
        'Data:',
        'port=8080',
        '',
      ].join('\n'),
    );
    const formatted = io();
    await runInspect(
      daemon,
      'config',
      ['app'],
      { pretty: false, format: '{{.Spec.Name}} {{.Version.Index}}' },
      formatted,
    );
    assert.equal(formatted.stdout, 'app 11\n');
  });

  test("Go's time strings", () => {
    assert.equal(
      goTimeString('2024-05-01T10:00:00.120000000Z'),
      '2024-05-01 10:00:00.12 +0000 UTC',
    );
    assert.equal(goTimeString('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00 +0000 UTC');
  });
});

describe('rm', () => {
  test('each removed reference printed; refusals and missing ones at the end, exit 1', async () => {
    const daemon = new FakeDaemon({
      'DELETE /secrets/a': undefined,
      'DELETE /secrets/used': daemonError(
        400,
        "rpc error: code = InvalidArgument desc = secret 'used' is in use by the following service: web",
      ),
      'DELETE /secrets/c': undefined,
    });
    const out = io();
    await assert.rejects(runRemove(daemon, 'secret', ['a', 'used', 'gone', 'c'], out), {
      message: [
        "Error response from daemon: rpc error: code = InvalidArgument desc = secret 'used' is in use by the following service: web",
        'Error: No such secret: gone',
      ].join('\n'),
    });
    assert.equal(out.stdout, 'a\nc\n');
  });
});
