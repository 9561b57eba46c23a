// The stack's networks, secrets and configs as docker's stack deploy creates them
// (cli/compose/convert/compose.go): only networks some service uses (`default` for services
// naming none), overlay unless another driver is set; every non-external secret and config,
// its data read from `file:` or the variable named by `environment:`.
import type { Lookup } from './interpolate.ts';
import type { Issues } from './issues.ts';
import type { FileReader } from './load-service.ts';
import type { ComposeModel, FileObjectModel } from './model.ts';
import {
  DEFAULT_NETWORK_DRIVER,
  type FileObjectSpec,
  type NetworkCreateRequest,
  scopedName,
  withStackLabel,
} from './stack-types.ts';

/** Docker refuses secrets and configs of 500 KiB and more. */
export const FILE_OBJECT_BYTES_MAX = 500 * 1024;

export function convertNetworks(
  stack: string,
  model: ComposeModel,
): { networks: NetworkCreateRequest[]; externalNetworks: string[] } {
  const used = new Set<string>();
  for (const service of model.services.values()) {
    if (!service.networks?.size) used.add('default');
    for (const name of service.networks?.keys() ?? []) used.add(name);
  }
  const networks: NetworkCreateRequest[] = [];
  const externalNetworks: string[] = [];
  for (const key of [...used].sort()) {
    const network = model.networks.get(key);
    if (!network && key !== 'default') continue; // reported by the service's conversion
    if (network?.external) {
      externalNetworks.push(network.name ?? key);
      continue;
    }
    const request: NetworkCreateRequest = {
      Name: network?.name ?? scopedName(stack, key),
      Driver: network?.driver || DEFAULT_NETWORK_DRIVER,
      Labels: withStackLabel(stack, network?.labels),
    };
    if (network && Object.keys(network.driverOpts).length > 0) request.Options = network.driverOpts;
    if (network?.internal) request.Internal = true;
    if (network?.attachable) request.Attachable = true;
    if (network?.ipam && (network.ipam.driver || network.ipam.subnets.length > 0)) {
      request.IPAM = {
        ...(network.ipam.driver ? { Driver: network.ipam.driver } : {}),
        ...(network.ipam.subnets.length > 0
          ? { Config: network.ipam.subnets.map((subnet) => ({ Subnet: subnet })) }
          : {}),
      };
    }
    networks.push(request);
  }
  return { networks, externalNetworks };
}

function objectData(
  kind: 'secret' | 'config',
  key: string,
  object: FileObjectModel,
  lookup: Lookup,
  readFile: FileReader,
  issues: Issues,
): Uint8Array | undefined {
  const path = `${kind}s.${key}`;
  if (object.driver !== undefined) return new Uint8Array();
  let data: Uint8Array | undefined;
  if (object.environment !== undefined) {
    const value = lookup(object.environment);
    if (value === undefined) {
      issues.add(object.at, path, `environment variable ${object.environment} is not set`);
      return undefined;
    }
    data = new TextEncoder().encode(value);
  } else if (object.file !== undefined) {
    data = readFile(object.file);
    if (data === undefined) {
      issues.add(object.at, path, `cannot read ${object.fileDisplay ?? object.file}: no such file`);
      return undefined;
    }
  } else {
    return undefined;
  }
  if (data.length === 0 || data.length >= FILE_OBJECT_BYTES_MAX) {
    issues.add(
      object.at,
      path,
      `${kind} data must be larger than 0 and less than ${FILE_OBJECT_BYTES_MAX / 1024}KB (it is ${data.length} bytes)`,
    );
    return undefined;
  }
  return data;
}

export function convertFileObjects(
  stack: string,
  kind: 'secret' | 'config',
  objects: ReadonlyMap<string, FileObjectModel>,
  lookup: Lookup,
  readFile: FileReader,
  issues: Issues,
): FileObjectSpec[] {
  const specs: FileObjectSpec[] = [];
  for (const key of [...objects.keys()].sort()) {
    const object = objects.get(key)!;
    if (object.external) continue;
    const data = objectData(kind, key, object, lookup, readFile, issues);
    if (data === undefined) continue;
    const spec: FileObjectSpec = {
      Name: object.name ?? scopedName(stack, key),
      Labels: withStackLabel(stack, object.labels),
      Data: Buffer.from(data).toString('base64'),
    };
    if (object.driver !== undefined) {
      spec.Driver = {
        Name: object.driver,
        ...(object.driverOpts ? { Options: object.driverOpts } : {}),
      };
    }
    if (object.templateDriver) spec.Templating = { Name: object.templateDriver };
    specs.push(spec);
  }
  return specs;
}
