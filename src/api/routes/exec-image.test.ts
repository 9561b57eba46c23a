import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRequestError } from '../errors.ts';
import { execImageOf, withExecImage } from './exec-image.ts';

test('exec.shoal/PATH reads as exec:/PATH, with or without the tag the CLI adds', () => {
  assert.equal(execImageOf('exec.shoal/bin/sleep'), 'exec:/bin/sleep');
  assert.equal(execImageOf('exec.shoal/usr/bin/python3:latest'), 'exec:/usr/bin/python3');
  assert.equal(execImageOf('exec.shoal/opt/app-1.2/run_it'), 'exec:/opt/app-1.2/run_it');
});

test('other images are left as they are', () => {
  for (const image of ['exec:/bin/sh', 'busybox', 'exec.shoal', 'registry.example/exec.shoal/x']) {
    assert.equal(execImageOf(image), image);
  }
});

test('a tag other than latest, a digest or no program is refused, naming the fix', () => {
  const refused = (image: string, message: RegExp) =>
    assert.throws(
      () => execImageOf(image),
      (error: unknown) => error instanceof BadRequestError && message.test(error.message),
    );
  refused('exec.shoal/bin/sleep:1.0', /takes no tag or digest \(write exec\.shoal\/bin\/sleep\)/);
  refused(`exec.shoal/bin/sleep@sha256:${'a'.repeat(64)}`, /takes no tag or digest/);
  refused('exec.shoal/', /name the program's absolute path/);
  refused('exec.shoal/:latest', /name the program's absolute path/);
});

test('a service spec gets the exec: form; other bodies are untouched', () => {
  const spec = {
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'exec.shoal/bin/sleep:latest', Args: ['60'] } },
  };
  const rewritten = withExecImage(spec);
  assert.deepEqual(rewritten, {
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'exec:/bin/sleep', Args: ['60'] } },
  });
  assert.equal(spec.TaskTemplate.ContainerSpec.Image, 'exec.shoal/bin/sleep:latest');
  for (const body of [null, 'text', { Name: 'x' }, { TaskTemplate: { ContainerSpec: 7 } }]) {
    assert.equal(withExecImage(body), body);
  }
});
