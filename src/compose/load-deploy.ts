// A service's `deploy:` section (and `healthcheck:`), read with the schema's rules.
import type { DeploySettings, HealthcheckSettings, UpdateSettings } from './model.ts';
import { childPath, itemPath, type Reader, recordOf } from './read.ts';
import { parseCpus, UnitError } from './units.ts';
import type { TreeNode } from './yaml-tree.ts';

export function emptyDeploy(): DeploySettings {
  return { labels: {}, resources: {}, placement: { constraints: [], preferences: [] } };
}

function cpus(reader: Reader, node: TreeNode, path: string): number | undefined {
  const text = reader.text(node, path);
  if (text === undefined) return undefined;
  try {
    const nano = parseCpus(text);
    if (nano < 0) return reader.fail(node.at, path, 'must not be negative');
    return nano;
  } catch (error) {
    if (!(error instanceof UnitError)) throw error;
    return reader.fail(node.at, path, error.message);
  }
}

function updateSettings(reader: Reader, node: TreeNode, path: string): UpdateSettings {
  const settings: UpdateSettings = {};
  reader.fields(node, path, {
    parallelism: (value, at) => {
      settings.parallelism = reader.integer(value, at, 0);
    },
    delay: (value, at) => {
      settings.delay = reader.duration(value, at);
    },
    failure_action: (value, at) => {
      settings.failureAction = reader.choice(value, at, ['pause', 'continue', 'rollback']);
    },
    monitor: (value, at) => {
      settings.monitor = reader.duration(value, at);
    },
    max_failure_ratio: (value, at) => {
      const ratio = reader.number(value, at);
      if (ratio !== undefined && (ratio < 0 || ratio > 1))
        reader.fail(value.at, at, 'must be between 0 and 1');
      else settings.maxFailureRatio = ratio;
    },
    order: (value, at) => {
      settings.order = reader.choice(value, at, ['stop-first', 'start-first']);
    },
  });
  return settings;
}

function resources(reader: Reader, node: TreeNode, path: string, deploy: DeploySettings): void {
  reader.fields(node, path, {
    limits: (value, at) => {
      const limits: NonNullable<DeploySettings['resources']['limits']> = {};
      reader.fields(value, at, {
        cpus: (v, p) => {
          limits.nanoCpus = cpus(reader, v, p);
        },
        memory: (v, p) => {
          limits.memoryBytes = reader.bytes(v, p);
        },
        pids: (v, p) => {
          limits.pids = reader.integer(v, p, 0);
        },
      });
      deploy.resources.limits = limits;
    },
    reservations: (value, at) => {
      const reservations: NonNullable<DeploySettings['resources']['reservations']> = {};
      reader.fields(value, at, {
        cpus: (v, p) => {
          reservations.nanoCpus = cpus(reader, v, p);
        },
        memory: (v, p) => {
          reservations.memoryBytes = reader.bytes(v, p);
        },
        generic_resources: (v, p) => {
          reservations.genericResources = genericResources(reader, v, p);
        },
      });
      deploy.resources.reservations = reservations;
    },
  });
}

function genericResources(reader: Reader, node: TreeNode, path: string) {
  if (node.kind !== 'seq') return reader.fail(node.at, path, 'must be a list');
  const result: { kind: string; value: number }[] = [];
  node.items.forEach((item, index) => {
    const itemAt = itemPath(path, index);
    let kind: string | undefined;
    let value: number | undefined;
    reader.fields(item, itemAt, {
      discrete_resource_spec: (spec, specPath) => {
        reader.fields(spec, specPath, {
          kind: (v, p) => {
            kind = reader.string(v, p);
          },
          value: (v, p) => {
            value = reader.integer(v, p, 0);
          },
        });
        if (kind === undefined || value === undefined)
          reader.fail(spec.at, specPath, 'needs both kind and value');
      },
    });
    if (kind !== undefined && value !== undefined) result.push({ kind, value });
  });
  return result;
}

function placement(reader: Reader, node: TreeNode, path: string, deploy: DeploySettings): void {
  reader.fields(node, path, {
    constraints: (value, at) => {
      deploy.placement.constraints = reader.stringList(value, at, false) ?? [];
    },
    preferences: (value, at) => {
      if (value.kind !== 'seq') {
        reader.fail(value.at, at, 'must be a list');
        return;
      }
      value.items.forEach((item, index) => {
        reader.fields(item, itemPath(at, index), {
          spread: (v, p) => {
            const spread = reader.string(v, p);
            if (spread !== undefined) deploy.placement.preferences.push(spread);
          },
        });
      });
    },
    max_replicas_per_node: (value, at) => {
      deploy.placement.maxReplicas = reader.integer(value, at, 0);
    },
  });
}

/** Reads `deploy:`; null (an empty `deploy:`) leaves the defaults. */
export function readDeploy(reader: Reader, node: TreeNode, path: string): DeploySettings {
  const deploy = emptyDeploy();
  reader.fields(
    node,
    path,
    {
      mode: (value, at) => {
        deploy.mode = reader.choice(value, at, [
          'replicated',
          'global',
          'replicated-job',
          'global-job',
        ]);
        deploy.modeAt = value.at;
      },
      replicas: (value, at) => {
        deploy.replicas = reader.integer(value, at, 0);
        deploy.replicasAt = value.at;
      },
      labels: (value, at) => {
        deploy.labels = recordOf(reader.listOrDict(value, at));
      },
      update_config: (value, at) => {
        deploy.updateConfig = updateSettings(reader, value, at);
      },
      rollback_config: (value, at) => {
        deploy.rollbackConfig = updateSettings(reader, value, at);
      },
      resources: (value, at) => resources(reader, value, at, deploy),
      restart_policy: (value, at) => {
        const policy: NonNullable<DeploySettings['restartPolicy']> = {};
        reader.fields(value, at, {
          condition: (v, p) => {
            policy.condition = reader.choice(v, p, ['none', 'on-failure', 'any']);
          },
          delay: (v, p) => {
            policy.delay = reader.duration(v, p);
          },
          max_attempts: (v, p) => {
            policy.maxAttempts = reader.integer(v, p, 0);
          },
          window: (v, p) => {
            policy.window = reader.duration(v, p);
          },
        });
        deploy.restartPolicy = policy;
      },
      placement: (value, at) => placement(reader, value, at, deploy),
      endpoint_mode: (value, at) => {
        const text = reader.string(value, at);
        if (text === undefined) return;
        const lower = text.toLowerCase();
        if (lower === 'vip' || lower === 'dnsrr') deploy.endpointMode = lower;
        else reader.fail(value.at, at, `must be one of "vip", "dnsrr", not "${text}"`);
      },
    },
    { nullable: true },
  );
  return deploy;
}

/** Reads `healthcheck:`; a string test runs through the shell (CMD-SHELL), as docker does. */
export function readHealthcheck(
  reader: Reader,
  node: TreeNode,
  path: string,
  unsupported: (name: string) => void,
): HealthcheckSettings {
  const health: HealthcheckSettings = { at: node.at };
  reader.fields(node, path, {
    test: (value, at) => {
      if (value.kind === 'scalar' && typeof value.value === 'string') {
        health.test = ['CMD-SHELL', value.value];
        return;
      }
      const list = reader.stringList(value, at, false);
      if (!list) return;
      if (list.length > 0 && !['NONE', 'CMD', 'CMD-SHELL'].includes(list[0]!)) {
        reader.fail(value.at, at, 'must start with "NONE", "CMD" or "CMD-SHELL"');
        return;
      }
      health.test = list;
    },
    interval: (value, at) => {
      health.interval = reader.duration(value, at);
    },
    timeout: (value, at) => {
      health.timeout = reader.duration(value, at);
    },
    start_period: (value, at) => {
      health.startPeriod = reader.duration(value, at);
    },
    start_interval: (value, at) => {
      reader.duration(value, at);
      unsupported(childPath('healthcheck', 'start_interval'));
    },
    retries: (value, at) => {
      health.retries = reader.integer(value, at, 0);
    },
    disable: (value, at) => {
      health.disable = reader.boolean(value, at);
    },
  });
  if (health.disable && health.test !== undefined && health.test.length > 0) {
    reader.fail(node.at, path, "test and disable can't be set at the same time");
  }
  return health;
}
