// A task's secret and config files, pure: targets as Docker mounts them, owners and modes, and
// templated payloads rendered with swarmkit's context and functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileReference, Task } from '../../store/index.ts';
import { type HeldObject, planTaskFiles, renderPayload, targetsOf } from './task-files.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const facts = {
  nodeId: 'node1',
  hostname: 'pi-3',
  platform: { Architecture: 'aarch64', OS: 'linux' },
};

function task(secrets: FileReference[], configs: FileReference[], env: string[] = []): Task {
  return {
    ID: 'task1',
    Version: { Index: 1 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Labels: {},
    ServiceID: 'svc1',
    ServiceAnnotations: { Name: 'web', Labels: { tier: 'front' } },
    Slot: 2,
    DesiredState: 'running',
    Status: { Timestamp: '2024-01-01T00:00:00Z', State: 'assigned', Message: '' },
    Spec: { ContainerSpec: { Image: 'nginx', Secrets: secrets, Configs: configs, Env: env } },
  };
}

const held = (objects: HeldObject[]) => new Map(objects.map((o) => [o.ID, o]));

test('targets: secrets under /run/secrets, configs under /, absolute ones as they are', () => {
  assert.deepEqual(targetsOf('secret', 'db_pass'), {
    relativePath: 'db_pass',
    target: '/run/secrets/db_pass',
  });
  assert.deepEqual(targetsOf('secret', '/etc/tls/key.pem'), {
    relativePath: 'etc/tls/key.pem',
    target: '/etc/tls/key.pem',
  });
  assert.deepEqual(targetsOf('config', 'app.conf'), {
    relativePath: 'app.conf',
    target: '/app.conf',
  });
  assert.deepEqual(targetsOf('config', 'conf.d/a.conf'), {
    relativePath: 'conf.d/a.conf',
    target: '/conf.d/a.conf',
  });
  for (const bad of ['../x', 'a/../../x', '/', '', 'a\0b']) {
    assert.throws(() => targetsOf('secret', bad), /secret target/, bad);
  }
});

test('planned files carry owner and mode; objects not held have no content', () => {
  const files = planTaskFiles(
    task(
      [
        {
          SecretID: 's1',
          SecretName: 'pass',
          File: { Name: 'pass', UID: '1000', GID: '50', Mode: 0o400 },
        },
        {
          SecretID: 's2',
          SecretName: 'gone',
          File: { Name: 'gone', UID: '0', GID: '0', Mode: 0o444 },
        },
      ],
      [
        {
          ConfigID: 'c1',
          ConfigName: 'app.conf',
          File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o644 },
        },
        { ConfigID: 'c2', ConfigName: 'cred', Runtime: {} },
      ],
    ),
    facts,
    {
      secrets: held([{ ID: 's1', Name: 'pass', Data: b64('hunter2') }]),
      configs: held([{ ID: 'c1', Name: 'app.conf', Data: b64('x=1\n') }]),
    },
  );
  assert.equal(files.length, 3);
  const [pass, gone, conf] = files;
  assert.deepEqual(
    { ...pass, content: pass!.content?.().toString() },
    {
      kind: 'secret',
      objectId: 's1',
      objectName: 'pass',
      relativePath: 'pass',
      target: '/run/secrets/pass',
      uid: 1000,
      gid: 50,
      mode: 0o400,
      content: 'hunter2',
    },
  );
  assert.equal(gone!.content, undefined);
  assert.equal(conf!.target, '/etc/app.conf');
  assert.equal(conf!.content?.().toString(), 'x=1\n');
});

test('templated payloads: service, node and task fields, env, secret and config', () => {
  const t = task(
    [
      {
        SecretID: 's1',
        SecretName: 'pass',
        File: { Name: 'db_pass', UID: '0', GID: '0', Mode: 0o444 },
      },
    ],
    [
      {
        ConfigID: 'c0',
        ConfigName: 'base',
        File: { Name: 'base.conf', UID: '0', GID: '0', Mode: 0o444 },
      },
    ],
    ['PORT=8080', 'EMPTY='],
  );
  const objects = {
    secrets: held([{ ID: 's1', Name: 'pass', Data: b64('hunter2') }]),
    configs: held([{ ID: 'c0', Name: 'base', Data: b64('included') }]),
  };
  const rendered = renderPayload(
    [
      '{{ .Service.Name }} {{ .Service.ID }} {{ index .Service.Labels "tier" }}',
      '{{ .Node.ID }} {{ .Node.Hostname }} {{ .Node.Platform.Architecture }}/{{ .Node.Platform.OS }}',
      '{{ .Task.ID }} {{ .Task.Name }} {{ .Task.Slot }}',
      'port={{ env "PORT" }} none=[{{ env "MISSING" }}]',
      'password={{ secret "db_pass" }} base={{ config "base.conf" }}',
    ].join('\n'),
    t,
    facts,
    objects,
  );
  assert.equal(
    rendered,
    [
      'web svc1 front',
      'node1 pi-3 aarch64/linux',
      'task1 web.2.task1 2',
      'port=8080 none=[]',
      'password=hunter2 base=included',
    ].join('\n'),
  );
  assert.throws(
    () => renderPayload('{{ secret "nope" }}', t, facts, objects),
    /secret target nope not found/,
  );
  assert.throws(() => renderPayload('{{ .Service.Nope }}', t, facts, objects), /Nope/);

  // Through planTaskFiles: the config's Templating decides.
  const files = planTaskFiles(
    {
      ...t,
      Spec: {
        ContainerSpec: {
          ...t.Spec.ContainerSpec!,
          Configs: [
            {
              ConfigID: 'c1',
              ConfigName: 'tpl',
              File: { Name: 'tpl', UID: '0', GID: '0', Mode: 0o444 },
            },
            {
              ConfigID: 'c2',
              ConfigName: 'raw',
              File: { Name: 'raw', UID: '0', GID: '0', Mode: 0o444 },
            },
          ],
        },
      },
    },
    facts,
    {
      secrets: objects.secrets,
      configs: held([
        { ID: 'c1', Name: 'tpl', Data: b64('{{ .Task.Slot }}'), Templating: { Name: 'golang' } },
        { ID: 'c2', Name: 'raw', Data: b64('{{ .Task.Slot }}') },
      ]),
    },
  );
  const configs = files.filter((f) => f.kind === 'config').map((f) => f.content?.().toString());
  assert.deepEqual(configs, ['2', '{{ .Task.Slot }}']);
});
