// Secrets and configs through a real one-member manager: swarmkit's checks and wording on
// create, update and remove, dockerd's lookups, and the list filters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createService } from '../../store/test-support.ts';
import { FileObjectControl } from './control.ts';
import { base64, singleManager } from './test-support.ts';

let counter = 0;
const newId = () => `obj${String(++counter).padStart(22, '0')}`;

const rpc = (code: string, desc: string) => ({
  message: `rpc error: code = ${code} desc = ${desc}`,
});

describe('secrets', () => {
  test('create stores the spec and answers the ID; a second one of the name is refused', async (t) => {
    const state = await singleManager(t);
    const secrets = new FileObjectControl(state, 'secret', newId);
    const { ID } = await secrets.create({
      Name: 'db_pass',
      Labels: { a: 'b' },
      Data: base64('s3cr3t'),
    });
    const stored = state.store.get('secrets', ID)!;
    assert.equal(stored.Spec.Name, 'db_pass');
    assert.deepEqual(stored.Spec.Labels, { a: 'b' });
    assert.equal(Buffer.from(stored.Spec.Data!, 'base64').toString(), 's3cr3t');
    await assert.rejects(
      secrets.create({ Name: 'DB_PASS', Data: base64('x') }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'name_conflict');
        assert.equal(error.message, rpc('AlreadyExists', 'secret DB_PASS already exists').message);
        return true;
      },
    );
    assert.equal(state.store.count('secrets'), 1);
  });

  test('names and data sizes as swarmkit checks them', async (t) => {
    const state = await singleManager(t);
    const secrets = new FileObjectControl(state, 'secret', newId);
    const badName = rpc(
      'InvalidArgument',
      'invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]',
    );
    for (const name of ['-lead', 'trail.', 'sp ace', 'x'.repeat(65), 'a/b']) {
      await assert.rejects(secrets.create({ Name: name, Data: base64('x') }), badName, name);
    }
    await assert.rejects(
      secrets.create({ Data: base64('x') }),
      rpc('InvalidArgument', 'name must be provided'),
    );
    const size = rpc(
      'InvalidArgument',
      'secret data must be larger than 0 and less than 512000 bytes',
    );
    await assert.rejects(secrets.create({ Name: 'empty' }), size);
    await assert.rejects(secrets.create({ Name: 'empty', Data: '' }), size);
    const tooBig = Buffer.alloc(500 * 1024, 1).toString('base64');
    await assert.rejects(secrets.create({ Name: 'big', Data: tooBig }), size);
    const largest = Buffer.alloc(500 * 1024 - 1, 1).toString('base64');
    await secrets.create({ Name: 'largest', Data: largest });
    await assert.rejects(secrets.create({ Name: 'notb64', Data: 'abc' }), /must be base64/);
    await assert.rejects(
      secrets.create({ Name: 'driven', Driver: { Name: 'vault' } }),
      /secret driver vault is not available/,
    );
    for (const name of ['a', 'A.b-c_d', 'x'.repeat(64)])
      await secrets.create({ Name: name, Data: base64('1') });
  });

  test('lookups by ID, exact name, then unique ID prefix', async (t) => {
    const state = await singleManager(t);
    const secrets = new FileObjectControl(
      state,
      'secret',
      () => `${['aa1', 'aa2', 'bb1'][counter++ % 3]}xyz`,
    );
    counter = 0;
    const one = await secrets.create({ Name: 'one', Data: base64('1') });
    const two = await secrets.create({ Name: 'two', Data: base64('2') });
    const three = await secrets.create({ Name: 'aa', Data: base64('3') });
    assert.equal(secrets.find(one.ID).Spec.Name, 'one');
    assert.equal(secrets.find('two').ID, two.ID);
    assert.equal(secrets.find('TWO').ID, two.ID);
    assert.equal(secrets.find('bb').ID, three.ID);
    // A name wins over an ID prefix; an ambiguous prefix is a 400.
    assert.equal(secrets.find('aa').ID, three.ID);
    assert.throws(() => secrets.find('a'), {
      code: 'invalid_argument',
      message: 'secret a is ambiguous (2 matches found)',
    });
    assert.throws(() => secrets.find('nope'), {
      code: 'not_found',
      message: 'secret nope not found',
    });
  });

  test('list filters: names exact, name and id prefixes (any), labels (all)', async (t) => {
    const state = await singleManager(t);
    const secrets = new FileObjectControl(state, 'secret', newId);
    const web = await secrets.create({
      Name: 'web_key',
      Labels: { tier: 'front', env: 'prod' },
      Data: base64('1'),
    });
    const webCert = await secrets.create({
      Name: 'web_cert',
      Labels: { tier: 'front' },
      Data: base64('2'),
    });
    const db = await secrets.create({ Name: 'db', Labels: { env: 'prod' }, Data: base64('3') });
    const names = (filters: Record<string, string[]>) =>
      secrets
        .list(new Map(Object.entries(filters)))
        .map((s) => s.Spec.Name)
        .sort();
    assert.deepEqual(names({}), ['db', 'web_cert', 'web_key']);
    assert.deepEqual(names({ name: ['web'] }), ['web_cert', 'web_key']);
    assert.deepEqual(names({ names: ['web'] }), []);
    assert.deepEqual(names({ names: ['web_key'], name: ['d'] }), ['db', 'web_key']);
    assert.deepEqual(names({ id: [db.ID] }), ['db']);
    assert.deepEqual(names({ label: ['env'] }), ['db', 'web_key']);
    assert.deepEqual(names({ label: ['tier=front', 'env=prod'] }), ['web_key']);
    assert.deepEqual(names({ name: ['web'], label: ['env=prod'] }), ['web_key']);
    assert.ok(web.ID && webCert.ID);
  });

  test('update changes labels only, at the current version', async (t) => {
    const state = await singleManager(t);
    const secrets = new FileObjectControl(state, 'secret', newId);
    const { ID } = await secrets.create({ Name: 'k', Labels: { a: '1' }, Data: base64('v') });
    const version = state.store.get('secrets', ID)!.Version.Index;
    await secrets.update('k', version, { Name: 'k', Labels: { b: '2' } });
    const updated = state.store.get('secrets', ID)!;
    assert.deepEqual(updated.Spec.Labels, { b: '2' });
    assert.equal(updated.Spec.Data, base64('v'));
    const onlyLabels = rpc('InvalidArgument', 'only updates to Labels are allowed');
    const now = updated.Version.Index;
    await assert.rejects(secrets.update(ID, now, { Name: 'k', Data: base64('other') }), onlyLabels);
    await assert.rejects(secrets.update(ID, now, { Name: 'renamed' }), onlyLabels);
    // Sending the same data back is no change.
    await secrets.update(ID, now, { Name: 'k', Data: base64('v'), Labels: {} });
    await assert.rejects(secrets.update(ID, now, { Name: 'k' }), {
      code: 'conflict',
      message: 'rpc error: code = Unknown desc = update out of sequence',
    });
  });

  test('remove is refused while a service uses the secret, naming the services', async (t) => {
    const state = await singleManager(t);
    const secrets = new FileObjectControl(state, 'secret', newId);
    const { ID } = await secrets.create({ Name: 'tls', Data: base64('pem') });
    const ref = {
      SecretID: ID,
      SecretName: 'tls',
      File: { Name: 'tls', UID: '0', GID: '0', Mode: 0o444 },
    };
    for (const [id, name] of [
      ['s1', 'web'],
      ['s2', 'api'],
    ] as const) {
      const change = createService(id, name);
      if (change.kind === 'create' && change.table === 'services') {
        change.object.Spec.TaskTemplate.ContainerSpec!.Secrets = [ref];
      }
      await state.propose([change]);
    }
    await assert.rejects(
      secrets.remove('tls'),
      rpc('InvalidArgument', "secret 'tls' is in use by the following services: web, api"),
    );
    await state.propose([{ kind: 'delete', table: 'services', id: 's1' }]);
    await assert.rejects(
      secrets.remove(ID),
      rpc('InvalidArgument', "secret 'tls' is in use by the following service: api"),
    );
    assert.equal(state.store.count('secrets'), 1);
    await state.propose([{ kind: 'delete', table: 'services', id: 's2' }]);
    await secrets.remove(ID.slice(0, 6));
    assert.equal(state.store.count('secrets'), 0);
    await assert.rejects(secrets.remove(ID), {
      code: 'not_found',
      message: `secret ${ID} not found`,
    });
  });
});

describe('configs', () => {
  test('a larger limit, templating with the golang driver only', async (t) => {
    const state = await singleManager(t);
    const configs = new FileObjectControl(state, 'config', newId);
    const size = rpc(
      'InvalidArgument',
      'config data must be larger than 0 and less than 1024000 bytes',
    );
    await assert.rejects(configs.create({ Name: 'c' }), size);
    const big = Buffer.alloc(600 * 1024, 65).toString('base64');
    const { ID } = await configs.create({ Name: 'big', Data: big });
    assert.equal(state.store.get('configs', ID)!.Spec.Data, big);
    const templated = await configs.create({
      Name: 'tpl',
      Data: base64('{{ .Service.Name }}'),
      Templating: { Name: 'golang' },
    });
    assert.deepEqual(state.store.get('configs', templated.ID)!.Spec.Templating, { Name: 'golang' });
    await assert.rejects(
      configs.create({ Name: 'tpl2', Data: base64('x'), Templating: { Name: 'jinja' } }),
      /unsupported template driver "jinja"/,
    );
    await assert.rejects(
      configs.create({ Name: 'BIG', Data: base64('x') }),
      rpc('AlreadyExists', 'config BIG already exists'),
    );
  });

  test('remove is refused while a service uses the config', async (t) => {
    const state = await singleManager(t);
    const configs = new FileObjectControl(state, 'config', newId);
    const { ID } = await configs.create({ Name: 'app.conf', Data: base64('x=1') });
    const change = createService('s1', 'web');
    if (change.kind === 'create' && change.table === 'services') {
      change.object.Spec.TaskTemplate.ContainerSpec!.Configs = [
        {
          ConfigID: ID,
          ConfigName: 'app.conf',
          File: { Name: '/app.conf', UID: '0', GID: '0', Mode: 0o444 },
        },
      ];
    }
    await state.propose([change]);
    await assert.rejects(
      configs.remove('app.conf'),
      rpc('InvalidArgument', "config 'app.conf' is in use by the following service: web"),
    );
  });
});
