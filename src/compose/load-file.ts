// One compose file's tree (already interpolated) into a ComposeModel: the top-level keys,
// networks, volumes, secrets and configs here, services in load-service.ts.
import { isAbsolute, resolve } from 'node:path';
import type { Location } from './issues.ts';
import { type LoadContext, readService } from './load-service.ts';
import type { ComposeModel, FileObjectModel, NetworkModel, VolumeModel } from './model.ts';
import { childPath, type FieldReader, itemPath, type Reader, recordOf } from './read.ts';
import type { MapNode, TreeNode } from './yaml-tree.ts';

const OBJECT_NAME = /^[a-zA-Z0-9._-]+$/;

export function emptyModel(): ComposeModel {
  return {
    services: new Map(),
    networks: new Map(),
    volumes: new Map(),
    secrets: new Map(),
    configs: new Map(),
    unsupported: new Set(),
    deprecated: new Map(),
    warnings: [],
  };
}

/** Each entry of a top-level section, with its name checked against the schema's pattern. */
function eachNamed(
  reader: Reader,
  node: TreeNode,
  path: string,
  read: (name: string, at: Location, value: TreeNode, path: string) => void,
): void {
  if (node.kind === 'scalar' && node.value === null) return;
  for (const entry of reader.map(node, path)?.entries ?? []) {
    if (!OBJECT_NAME.test(entry.key)) {
      reader.fail(
        entry.keyAt,
        path,
        `invalid name "${entry.key}": use letters, digits, ".", "_" and "-"`,
      );
      continue;
    }
    read(entry.key, entry.keyAt, entry.value, childPath(path, entry.key));
  }
}

interface External {
  external: boolean;
  name?: string;
  at: Location;
}

function readExternal(reader: Reader, node: TreeNode, path: string): External {
  if (node.kind === 'scalar' && typeof node.value === 'boolean')
    return { external: node.value, at: node.at };
  const external: External = { external: true, at: node.at };
  reader.fields(node, path, {
    name: (value, p) => {
      external.name = reader.string(value, p);
    },
  });
  return external;
}

/** docker's handling of the deprecated `external: {name: ...}`. */
function externalName(
  context: LoadContext,
  kind: string,
  key: string,
  external: External | undefined,
  name: string | undefined,
  path: string,
): string | undefined {
  if (!external?.external) return name;
  if (external.name === undefined) return name ?? key;
  if (name !== undefined) {
    context.reader.fail(
      external.at,
      path,
      `${kind}.external.name and ${kind}.name conflict; only use ${kind}.name`,
    );
    return name;
  }
  context.warn(`${kind} ${key}: ${kind}.external.name is deprecated in favor of ${kind}.name`);
  return external.name;
}

function readNetwork(
  context: LoadContext,
  key: string,
  at: Location,
  node: TreeNode,
  path: string,
) {
  const { reader } = context;
  const network: NetworkModel = { at, external: false, driverOpts: {}, labels: {} };
  let external: External | undefined;
  reader.fields(
    node,
    path,
    {
      name: (v, p) => {
        network.name = reader.string(v, p);
      },
      driver: (v, p) => {
        network.driver = reader.string(v, p);
      },
      driver_opts: (v, p) => {
        network.driverOpts = reader.stringMap(v, p) ?? {};
      },
      ipam: (v, p) => {
        const ipam: NonNullable<NetworkModel['ipam']> = { subnets: [] };
        reader.fields(v, p, {
          driver: (d, q) => {
            ipam.driver = reader.string(d, q);
          },
          config: (c, q) => {
            if (c.kind !== 'seq') {
              reader.fail(c.at, q, 'must be a list');
              return;
            }
            c.items.forEach((item, index) => {
              reader.fields(item, itemPath(q, index), {
                subnet: (s, r) => {
                  const subnet = reader.string(s, r);
                  if (subnet !== undefined) ipam.subnets.push(subnet);
                },
              });
            });
          },
        });
        network.ipam = ipam;
      },
      external: (v, p) => {
        external = readExternal(reader, v, p);
      },
      internal: (v, p) => {
        network.internal = reader.boolean(v, p);
      },
      attachable: (v, p) => {
        network.attachable = reader.boolean(v, p);
      },
      labels: (v, p) => {
        network.labels = recordOf(reader.listOrDict(v, p));
      },
    },
    { extensions: true, nullable: true },
  );
  network.external = external?.external ?? false;
  const name = externalName(context, 'network', key, external, network.name, path);
  if (name !== undefined) network.name = name;
  return network;
}

function readVolume(context: LoadContext, key: string, at: Location, node: TreeNode, path: string) {
  const { reader } = context;
  const volume: VolumeModel = { at, external: false, labels: {} };
  let external: External | undefined;
  const set = new Set<string>();
  reader.fields(
    node,
    path,
    {
      name: (v, p) => {
        volume.name = reader.string(v, p);
      },
      driver: (v, p) => {
        set.add('driver');
        volume.driver = reader.string(v, p);
      },
      driver_opts: (v, p) => {
        set.add('driver_opts');
        volume.driverOpts = reader.stringMap(v, p);
      },
      external: (v, p) => {
        external = readExternal(reader, v, p);
      },
      labels: (v, p) => {
        set.add('labels');
        volume.labels = recordOf(reader.listOrDict(v, p));
      },
    },
    { extensions: true, nullable: true },
  );
  volume.external = external?.external ?? false;
  if (volume.external) {
    for (const conflicting of ['driver', 'driver_opts', 'labels']) {
      if (set.has(conflicting)) {
        reader.fail(
          at,
          path,
          `conflicting parameters "external" and "${conflicting}" specified for volume "${key}"`,
        );
      }
    }
  }
  const name = externalName(context, 'volume', key, external, volume.name, path);
  if (name !== undefined) volume.name = name;
  return volume;
}

function readFileObject(
  context: LoadContext,
  kind: 'secret' | 'config',
  key: string,
  at: Location,
  node: TreeNode,
  path: string,
): FileObjectModel {
  const { reader } = context;
  const object: FileObjectModel = { at, external: false, labels: {} };
  let external: External | undefined;
  const readers: Record<string, FieldReader> = {
    name: (v, p) => {
      object.name = reader.string(v, p);
    },
    file: (v, p) => {
      const file = reader.string(v, p);
      if (file === undefined) return;
      object.file = isAbsolute(file) ? file : resolve(context.workingDir, file);
      object.fileDisplay = file;
    },
    environment: (v, p) => {
      object.environment = reader.string(v, p);
    },
    external: (v, p) => {
      external = readExternal(reader, v, p);
    },
    labels: (v, p) => {
      object.labels = recordOf(reader.listOrDict(v, p));
    },
    template_driver: (v, p) => {
      const driver = reader.string(v, p);
      if (driver !== undefined && driver !== 'golang')
        reader.fail(v.at, p, `template driver "${driver}" is not supported (use "golang")`);
      else object.templateDriver = driver;
    },
  };
  if (kind === 'secret') {
    readers.driver = (v, p) => {
      object.driver = reader.string(v, p);
    };
    readers.driver_opts = (v, p) => {
      object.driverOpts = reader.stringMap(v, p);
    };
  }
  const map = reader.fields(node, path, readers, { extensions: true });
  object.external = external?.external ?? false;
  const name = externalName(context, kind, key, external, object.name, path);
  if (name !== undefined) object.name = name;
  if (!map || object.external) return object;
  if (object.driver !== undefined && object.file !== undefined) {
    reader.fail(at, path, `${kind}.driver and ${kind}.file conflict; only use ${kind}.driver`);
  } else if (object.file !== undefined && object.environment !== undefined) {
    reader.fail(at, path, `${kind}.file and ${kind}.environment conflict; use one of them`);
  } else if (
    object.file === undefined &&
    object.environment === undefined &&
    object.driver === undefined
  ) {
    reader.fail(at, path, `needs one of "file", "environment" or "external"`);
  }
  return object;
}

function checkVersion(reader: Reader, node: TreeNode): void {
  if (node.kind === 'scalar' && typeof node.value === 'number') {
    reader.fail(node.at, 'version', `must be a string (quote it: "${node.value}")`);
    return;
  }
  const version = reader.string(node, 'version');
  if (version === undefined) return;
  if (!/^3(\.\d+)?$/.test(version)) {
    reader.fail(
      node.at,
      'version',
      `unsupported Compose file version: ${version} (stack deploy reads version 3.x files and the Compose Specification)`,
    );
  }
}

/** Reads a whole file's tree. */
export function readComposeFile(context: LoadContext, root: MapNode): ComposeModel {
  const { reader } = context;
  const model = emptyModel();
  reader.fields(
    root,
    '',
    {
      version: (v) => checkVersion(reader, v),
      name: (v, p) => {
        reader.string(v, p);
      },
      services: (v, p) =>
        eachNamed(reader, v, p, (name, at, value, path) => {
          model.services.set(name, readService(context, name, at, value, path));
        }),
      networks: (v, p) =>
        eachNamed(reader, v, p, (name, at, value, path) => {
          model.networks.set(name, readNetwork(context, name, at, value, path));
        }),
      volumes: (v, p) =>
        eachNamed(reader, v, p, (name, at, value, path) => {
          model.volumes.set(name, readVolume(context, name, at, value, path));
        }),
      secrets: (v, p) =>
        eachNamed(reader, v, p, (name, at, value, path) => {
          model.secrets.set(name, readFileObject(context, 'secret', name, at, value, path));
        }),
      configs: (v, p) =>
        eachNamed(reader, v, p, (name, at, value, path) => {
          model.configs.set(name, readFileObject(context, 'config', name, at, value, path));
        }),
    },
    { extensions: true },
  );
  return model;
}
