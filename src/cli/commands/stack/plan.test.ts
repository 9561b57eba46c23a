// Deploy planning as a pure function: what is created, updated or left alone given what exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StackService } from '../../../compose/index.ts';
import type { Service, ServiceSpec } from '../../../store/index.ts';
import {
  canonical,
  networksToCreate,
  planServices,
  sameSpec,
  servicesToPrune,
  specForUpdate,
} from './plan.ts';

function spec(name: string, image: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    Name: name,
    Labels: { 'com.docker.stack.namespace': 'blog', 'com.docker.stack.image': image },
    TaskTemplate: {
      ContainerSpec: { Image: image, Labels: { 'com.docker.stack.namespace': 'blog' } },
      Networks: [{ Target: 'net-1', Aliases: [name.replace('blog_', '')] }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    ...extra,
  };
}

function existing(id: string, stored: ServiceSpec, version = 7): Service {
  return {
    ID: id,
    Version: { Index: version },
    CreatedAt: '2024-05-01T11:00:00Z',
    UpdatedAt: '2024-05-01T11:00:00Z',
    Spec: stored,
  };
}

const desired = (value: ServiceSpec, dependsOn: StackService['dependsOn'] = []): StackService => ({
  key: value.Name.replace('blog_', ''),
  spec: value,
  dependsOn,
});

describe('planServices', () => {
  it('creates what is missing, updates what changed, leaves the rest, in the given order', () => {
    const db = spec('blog_db', 'postgres:16');
    const web = spec('blog_web', 'nginx:1.27');
    const cache = spec('blog_cache', 'redis:7');
    const steps = planServices(
      [
        desired(db),
        desired(cache),
        desired(web, [{ service: 'blog_db', condition: 'service_healthy' }]),
      ],
      [existing('db1', structuredClone(db)), existing('web1', spec('blog_web', 'nginx:1.26'), 12)],
      'never',
    );
    assert.deepEqual(
      steps.map((step) => [step.action, step.name]),
      [
        ['unchanged', 'blog_db'],
        ['create', 'blog_cache'],
        ['update', 'blog_web'],
      ],
    );
    const update = steps[2]!;
    assert.equal(update.action, 'update');
    if (update.action !== 'update') return;
    assert.equal(update.id, 'web1');
    assert.equal(update.version, 12);
    assert.equal(update.spec.TaskTemplate.ContainerSpec?.Image, 'nginx:1.27');
    assert.deepEqual(update.dependsOn, [{ service: 'blog_db', condition: 'service_healthy' }]);
  });

  it('takes what the daemon stored with empty parts or defaults as unchanged', () => {
    const wanted = spec('blog_api', 'example/api');
    const stored = structuredClone(wanted) as ServiceSpec;
    stored.TaskTemplate.ForceUpdate = 0;
    stored.TaskTemplate.Placement = {};
    stored.TaskTemplate.ContainerSpec!.Env = [];
    stored.EndpointSpec = { Mode: 'vip' };
    const steps = planServices([desired(wanted)], [existing('api1', stored)], 'changed');
    assert.deepEqual(steps, [{ action: 'unchanged', name: 'blog_api', id: 'api1' }]);
  });

  it('updates a service whose replicas, ports or environment changed', () => {
    const base = spec('blog_api', 'example/api');
    const changes: ((value: ServiceSpec) => void)[] = [
      (value) => {
        value.Mode = { Replicated: { Replicas: 3 } };
      },
      (value) => {
        value.EndpointSpec = {
          Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
        };
      },
      (value) => {
        value.TaskTemplate.ContainerSpec!.Env = ['A=1'];
      },
    ];
    for (const change of changes) {
      const wanted = structuredClone(base) as ServiceSpec;
      change(wanted);
      const [step] = planServices([desired(wanted)], [existing('api1', base)], 'never');
      assert.equal(step?.action, 'update');
    }
  });

  it('keeps an image the daemon pinned while the file names the same image', () => {
    const stored = spec('blog_web', 'nginx:1.27');
    stored.TaskTemplate.ContainerSpec!.Image = `nginx:1.27@sha256:${'a'.repeat(64)}`;
    const current = existing('web1', stored);
    const kept = specForUpdate(spec('blog_web', 'nginx:1.27'), current, 'changed');
    assert.equal(kept.TaskTemplate.ContainerSpec?.Image, `nginx:1.27@sha256:${'a'.repeat(64)}`);
    assert.deepEqual(
      planServices([desired(spec('blog_web', 'nginx:1.27'))], [current], 'never').map(
        (step) => step.action,
      ),
      ['unchanged'],
    );
    const always = specForUpdate(spec('blog_web', 'nginx:1.27'), current, 'always');
    assert.equal(always.TaskTemplate.ContainerSpec?.Image, 'nginx:1.27');
    const newer = specForUpdate(spec('blog_web', 'nginx:1.28'), current, 'never');
    assert.equal(newer.TaskTemplate.ContainerSpec?.Image, 'nginx:1.28');
  });

  it("keeps the service's ForceUpdate so an update does not restart tasks by itself", () => {
    const stored = spec('blog_web', 'nginx:1.26');
    stored.TaskTemplate.ForceUpdate = 4;
    const [step] = planServices(
      [desired(spec('blog_web', 'nginx:1.27'))],
      [existing('web1', stored)],
      'never',
    );
    assert.equal(step?.action === 'update' && step.spec.TaskTemplate.ForceUpdate, 4);
  });
});

describe('servicesToPrune and networksToCreate', () => {
  it('prunes the services the files no longer name, by name', () => {
    const services = [
      existing('3', spec('blog_worker', 'w')),
      existing('1', spec('blog_web', 'w')),
      existing('2', spec('blog_old', 'w')),
    ];
    assert.deepEqual(
      servicesToPrune('blog', new Set(['web']), services).map((service) => service.Spec.Name),
      ['blog_old', 'blog_worker'],
    );
  });

  it('creates only the networks that do not exist', () => {
    const networks = [
      { Name: 'blog_default', Driver: 'overlay', Labels: {} },
      { Name: 'blog_front', Driver: 'overlay', Labels: {} },
    ];
    assert.deepEqual(
      networksToCreate(networks, new Set(['blog_default'])).map((network) => network.Name),
      ['blog_front'],
    );
  });
});

describe('canonical specs', () => {
  it('ignores key order and empty values, not real differences', () => {
    assert.deepEqual(
      canonical({ b: 1, a: { c: [], d: null, e: {} }, f: [{ z: 1, y: undefined }] }),
      {
        b: 1,
        f: [{ z: 1 }],
      },
    );
    const left = spec('blog_web', 'nginx');
    const right = structuredClone(left) as ServiceSpec;
    assert.ok(sameSpec(left, right));
    right.TaskTemplate.ContainerSpec!.ReadOnly = false;
    assert.ok(!sameSpec(left, right), 'false is a value, not an absence');
  });
});
