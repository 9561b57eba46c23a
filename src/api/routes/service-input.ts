// A service spec as a create or update request brings it, read the way dockerd reads it before
// swarmkit sees it. dockerd converts the JSON into swarmkit's types, where an empty string in
// an enumerated field is that field's default: `docker stack deploy` sends `"Order": ""` in
// UpdateConfig and RollbackConfig whenever a compose file has an update_config, and other
// clients send empty restart conditions, endpoint modes, port protocols and publish modes.
// Those empty values are dropped here (Shoal's defaults then apply, as swarmkit's would), and
// an exec image written as a reference (`exec.shoal/PATH`) gets its `exec:` form.
import { withExecImage } from './exec-image.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `object` without the named fields whose value is the empty string (a copy when any is). */
function withoutEmpty(object: unknown, keys: readonly string[]): unknown {
  if (!isObject(object) || !keys.some((key) => object[key] === '')) return object;
  const copy = { ...object };
  for (const key of keys) if (copy[key] === '') delete copy[key];
  return copy;
}

const UPDATE_ENUMS = ['FailureAction', 'Order'];

/** The request's spec with dockerd's reading of empty enumerated values; non-objects as they are. */
export function serviceSpecFromRequest<T>(body: T): T {
  const spec = withExecImage(body);
  if (!isObject(spec)) return spec;
  const read: Json = { ...spec };
  for (const key of ['UpdateConfig', 'RollbackConfig']) {
    if (key in read) read[key] = withoutEmpty(read[key], UPDATE_ENUMS);
  }
  const template = read.TaskTemplate;
  if (isObject(template) && 'RestartPolicy' in template) {
    read.TaskTemplate = {
      ...template,
      RestartPolicy: withoutEmpty(template.RestartPolicy, ['Condition']),
    };
  }
  const endpoint = withoutEmpty(read.EndpointSpec, ['Mode']);
  if (isObject(endpoint) && Array.isArray(endpoint.Ports)) {
    read.EndpointSpec = {
      ...endpoint,
      Ports: endpoint.Ports.map((port) => withoutEmpty(port, ['Protocol', 'PublishMode'])),
    };
  } else if (endpoint !== undefined) {
    read.EndpointSpec = endpoint;
  }
  return read as T;
}
