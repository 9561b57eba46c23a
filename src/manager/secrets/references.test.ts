// A service's secret and config references: swarmkit's shape checks (also run by
// validateServiceSpec) and the store lookups that fill in IDs and names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileReference, ServiceSpec } from '../../store/index.ts';
import { validateServiceSpec } from '../services/index.ts';
import { FileObjectControl } from './control.ts';
import { resolveReferences } from './references.ts';
import { base64, singleManager } from './test-support.ts';

const file = (name: string) => ({ Name: name, UID: '0', GID: '0', Mode: 0o444 });

function spec(secrets?: FileReference[], configs?: FileReference[]): ServiceSpec {
  return {
    Name: 'web',
    Labels: {},
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'nginx',
        ...(secrets ? { Secrets: secrets } : {}),
        ...(configs ? { Configs: configs } : {}),
      },
    },
  };
}

const invalid = (desc: string) => ({ message: `rpc error: code = InvalidArgument desc = ${desc}` });

test('validateServiceSpec refuses malformed references with swarmkit words', () => {
  assert.throws(
    () => validateServiceSpec(spec([{ File: file('a') }])),
    invalid('malformed secret reference'),
  );
  assert.throws(
    () => validateServiceSpec(spec([{ SecretName: 'a' }])),
    invalid('malformed secret reference, no target provided'),
  );
  assert.throws(
    () => validateServiceSpec(spec([{ SecretName: 'a', File: file('') }])),
    invalid('malformed file secret reference, invalid target file name provided'),
  );
  assert.throws(
    () =>
      validateServiceSpec(
        spec([
          { SecretName: 'a', File: file('same') },
          { SecretName: 'b', File: file('same') },
        ]),
      ),
    invalid("secret references 'a' and 'b' have a conflicting target: 'same'"),
  );
  assert.throws(
    () => validateServiceSpec(spec(undefined, [{ ConfigName: 'c', File: file('../../etc/x') }])),
    /target \.\.\/\.\.\/etc\/x leaves its directory/,
  );
  assert.throws(
    () => validateServiceSpec(spec([{ SecretName: 'a', File: { ...file('a'), Mode: 0o4755 } }])),
    /Mode must be a permission mode/,
  );
  // A config may target the runtime (credential specs); a secret and a config may share a target.
  validateServiceSpec(
    spec(
      [{ SecretName: 'a', File: file('x') }],
      [
        { ConfigName: 'c', Runtime: {} },
        { ConfigName: 'd', File: file('x') },
      ],
    ),
  );
});

test('resolveReferences fills IDs from names and names from IDs, or names what is missing', async (t) => {
  const state = await singleManager(t);
  let n = 0;
  const newId = () => `id${++n}`;
  const secrets = new FileObjectControl(state, 'secret', newId);
  const configs = new FileObjectControl(state, 'config', newId);
  const pass = await secrets.create({ Name: 'pass', Data: base64('p') });
  const key = await secrets.create({ Name: 'key', Data: base64('k') });
  const conf = await configs.create({ Name: 'app.conf', Data: base64('c') });

  const resolved = resolveReferences(
    spec(
      [
        { SecretName: 'pass', File: file('pass') },
        { SecretID: key.ID, File: file('key') },
      ],
      [{ ConfigName: 'app.conf', File: file('/etc/app.conf') }],
    ),
    state.store,
  );
  const container = resolved.TaskTemplate.ContainerSpec!;
  assert.deepEqual(
    container.Secrets!.map((r) => [r.SecretID, r.SecretName]),
    [
      [pass.ID, 'pass'],
      [key.ID, 'key'],
    ],
  );
  assert.deepEqual(container.Configs![0]!.ConfigID, conf.ID);

  assert.throws(
    () => resolveReferences(spec([{ SecretName: 'nope', File: file('nope') }]), state.store),
    invalid('secret not found: nope'),
  );
  assert.throws(
    () =>
      resolveReferences(
        spec([
          { SecretName: 'nope', File: file('nope') },
          { SecretID: pass.ID, SecretName: 'key', File: file('mismatch') },
        ]),
        state.store,
      ),
    invalid('secrets not found: nope, key'),
  );
  assert.throws(
    () =>
      resolveReferences(spec(undefined, [{ ConfigName: 'gone', File: file('g') }]), state.store),
    invalid('config not found: gone'),
  );
});
