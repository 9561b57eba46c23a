import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceSpecFromRequest } from './service-input.ts';

test('empty enumerated values are dropped, as dockerd reads them as the defaults', () => {
  // What `docker stack deploy` sends for a compose file with update_config and rollback_config.
  const sent = {
    Name: 'full_one',
    TaskTemplate: {
      ContainerSpec: { Image: 'exec.shoal/bin/sleep:latest', Args: ['600'] },
      RestartPolicy: { Condition: '', MaxAttempts: 3 },
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1, Monitor: 1e9, MaxFailureRatio: 0, Order: '' },
    RollbackConfig: { Parallelism: 2, FailureAction: '', Order: 'start-first' },
    EndpointSpec: {
      Mode: '',
      Ports: [{ Protocol: '', TargetPort: 80, PublishedPort: 18080, PublishMode: '' }],
    },
  };
  assert.deepEqual(serviceSpecFromRequest(sent), {
    Name: 'full_one',
    TaskTemplate: {
      ContainerSpec: { Image: 'exec:/bin/sleep', Args: ['600'] },
      RestartPolicy: { MaxAttempts: 3 },
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1, Monitor: 1e9, MaxFailureRatio: 0 },
    RollbackConfig: { Parallelism: 2, Order: 'start-first' },
    EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 18080 }] },
  });
  assert.equal(sent.UpdateConfig.Order, '', 'the request body is not changed');
});

test('set values, missing sections and bodies that are no spec stay as they are', () => {
  const spec = {
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
    UpdateConfig: { Order: 'start-first', FailureAction: 'rollback' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
  assert.deepEqual(serviceSpecFromRequest(spec), spec);
  assert.deepEqual(serviceSpecFromRequest({ Name: 'x' }), { Name: 'x' });
  for (const body of [undefined, null, 'text', 7, []]) {
    assert.deepEqual(serviceSpecFromRequest(body), body);
  }
  // A malformed section is left for the service checks to report.
  const odd = { Name: 'x', UpdateConfig: 'fast', EndpointSpec: { Ports: 'none' } };
  assert.deepEqual(serviceSpecFromRequest(odd), odd);
});
