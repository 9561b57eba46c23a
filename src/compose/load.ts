// Compose files in, the objects `stack deploy NAME` creates out. Pure but for the injected file
// reader (env_file, `.env`, `file:` secrets and configs). Steps, per file: parse (YAML 1.1 with
// places), interpolate (environment over `.env`), read with the schema's rules; then merge the
// files, check references and dependencies, convert. Every problem found along the way is
// reported together, each with its file, line, column and key; with any problem, nothing is
// answered.
import { dirname, join } from 'node:path';
import { convertFileObjects, convertNetworks } from './convert-objects.ts';
import { convertService } from './convert-service.ts';
import { dependencyOrder } from './depends.ts';
import { parseDotEnv } from './env-files.ts';
import { applyExtends, type ModelLoader } from './extends.ts';
import { interpolateTree, type Lookup } from './interpolate.ts';
import { Issues } from './issues.ts';
import { emptyModel, readComposeFile } from './load-file.ts';
import type { FileReader, LoadContext } from './load-service.ts';
import { mergeModels } from './merge.ts';
import type { ComposeModel } from './model.ts';
import { Reader } from './read.ts';
import { type StackDeployment, type StackService, scopedName } from './stack-types.ts';
import { parseTree } from './yaml-tree.ts';

/** Compose files larger than this are refused (the biggest real ones are a few dozen KiB). */
export const COMPOSE_FILE_BYTES_MAX = 4 * 1024 * 1024;
export const COMPOSE_FILES_MAX = 32;

export interface ComposeFile {
  /** The name as the user gave it (`-c deploy/compose.yml`), used in messages. */
  name: string;
  text: string;
}

export interface LoadStackOptions {
  stack: string;
  files: readonly ComposeFile[];
  /** Absolute directory of the first file: relative paths and `.env` are found from there. */
  workingDir: string;
  /** The caller's environment (the shell's, for the CLI). */
  environment: Lookup;
  readFile: FileReader;
  /** Read `.env` beside the first file (default true). */
  dotEnv?: boolean;
}

function environmentLookup(options: LoadStackOptions, issues: Issues): Lookup {
  if (options.dotEnv === false) return options.environment;
  const path = join(options.workingDir, '.env');
  const bytes = options.readFile(path);
  if (bytes === undefined) return options.environment;
  const display = join(dirname(options.files[0]?.name ?? '.'), '.env');
  issues.rankFile(display);
  const values = parseDotEnv(new TextDecoder().decode(bytes), display, options.environment, issues);
  return (name) => options.environment(name) ?? values.get(name);
}

function warningsOf(model: ComposeModel, warnings: readonly string[]): string[] {
  const result: string[] = [];
  if (model.unsupported.size > 0) {
    result.push(`Ignoring unsupported options: ${[...model.unsupported].sort().join(', ')}`);
  }
  if (model.deprecated.size > 0) {
    const lines = [...model.deprecated].map(([key, why]) => `${key}: ${why}`).sort();
    result.push(`Ignoring deprecated options:\n\n${lines.join('\n\n')}`);
  }
  return [...result, ...new Set(warnings)];
}

/** Loads and converts; throws ComposeError listing every problem. */
export function loadStack(options: LoadStackOptions): StackDeployment {
  const issues = new Issues();
  const reader = new Reader(issues);
  const noFile = { file: '-', line: 1, column: 1 };
  if (options.files.length === 0) issues.add(noFile, '', 'no compose file given');
  if (options.files.length > COMPOSE_FILES_MAX) {
    issues.add(noFile, '', `at most ${COMPOSE_FILES_MAX} compose files can be merged`);
  }
  issues.throwIfAny();
  for (const file of options.files) issues.rankFile(file.name);
  const lookup = environmentLookup(options, issues);
  const unsupported = new Set<string>();
  const deprecated = new Map<string, string>();
  const warnings: string[] = [];
  const context: LoadContext = {
    reader,
    issues,
    workingDir: options.workingDir,
    lookup,
    readFile: options.readFile,
    unsupported: (name) => unsupported.add(name),
    deprecated: (name, why) => deprecated.set(name, why),
    warn: (message) => warnings.push(message),
  };
  const readModel = (file: ComposeFile): ComposeModel | undefined => {
    if (file.text.length > COMPOSE_FILE_BYTES_MAX) {
      issues.add(
        { file: file.name, line: 1, column: 1 },
        '',
        `the file is larger than ${COMPOSE_FILE_BYTES_MAX / 1024 / 1024} MiB`,
      );
      return undefined;
    }
    const tree = parseTree(file.text, file.name, issues);
    return tree ? readComposeFile(context, interpolateTree(tree, lookup, issues)) : undefined;
  };
  // A file named by `extends.file`: read as the compose files are, its services not deployed.
  const readExtended: ModelLoader = (path, display) => {
    const bytes = options.readFile(path);
    if (bytes === undefined) return null;
    issues.rankFile(display);
    return readModel({ name: display, text: new TextDecoder().decode(bytes) });
  };
  const models: ComposeModel[] = [];
  for (const file of options.files) {
    const model = readModel(file);
    if (!model) continue;
    applyExtends(context, model, file.name, readExtended);
    models.push(model);
  }
  const model = models.length > 0 ? mergeModels(models) : emptyModel();
  model.unsupported = unsupported;
  model.deprecated = deprecated;
  issues.throwIfAny();

  const order = dependencyOrder(model.services, issues);
  const services: StackService[] = [];
  for (const key of order) {
    const service = model.services.get(key)!;
    const spec = convertService(options.stack, model, service, issues);
    if (!spec) continue;
    services.push({
      key,
      spec,
      dependsOn: [...service.dependsOn]
        .map(([dependency, detail]) => ({
          service: scopedName(options.stack, dependency),
          condition: detail.condition,
        }))
        .sort((a, b) => (a.service < b.service ? -1 : 1)),
    });
  }
  const { networks, externalNetworks } = convertNetworks(options.stack, model);
  const secrets = convertFileObjects(
    options.stack,
    'secret',
    model.secrets,
    lookup,
    options.readFile,
    issues,
  );
  const configs = convertFileObjects(
    options.stack,
    'config',
    model.configs,
    lookup,
    options.readFile,
    issues,
  );
  issues.throwIfAny();
  return {
    stack: options.stack,
    services,
    networks,
    externalNetworks,
    secrets,
    configs,
    warnings: warningsOf(model, warnings),
  };
}
