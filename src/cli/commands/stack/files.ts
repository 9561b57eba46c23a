// The I/O edge of `stack deploy`: reading the `-c` files (`-` is standard input, as in docker)
// and the files they name (env_file, `.env`, secrets and configs), each bounded in size, then
// handing them to the pure compose loader.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  COMPOSE_FILE_BYTES_MAX,
  type ComposeFile,
  type FileReader,
  loadStack,
  type StackDeployment,
} from '../../../compose/index.ts';
import { CliError } from '../../connection.ts';

/** Files a compose file names (env files, secret data) larger than this are refused. */
export const REFERENCED_FILE_BYTES_MAX = 4 * 1024 * 1024;

/** Reads a referenced file: its bytes, undefined when it does not exist. */
export const readReferencedFile: FileReader = (path) => {
  try {
    const size = statSync(path).size;
    if (size > REFERENCED_FILE_BYTES_MAX) {
      throw new CliError(`${path} is larger than ${REFERENCED_FILE_BYTES_MAX / 1024 / 1024} MiB`);
    }
    return readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
};

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > COMPOSE_FILE_BYTES_MAX) throw new CliError('the compose file on stdin is too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the `-c` files as docker's GetConfigDetails does; the first one sets the directory. */
export async function readComposeFiles(
  names: readonly string[],
  stdin: NodeJS.ReadableStream,
  cwd: string,
): Promise<{ files: ComposeFile[]; workingDir: string }> {
  if (names.length === 0) throw new CliError('Please specify a Compose file (with --compose-file)');
  const files: ComposeFile[] = [];
  for (const name of names) {
    if (name === '-') {
      files.push({ name: '-', text: await readStdin(stdin) });
      continue;
    }
    const bytes = readReferencedFile(resolve(cwd, name));
    if (bytes === undefined) throw new CliError(`open ${name}: no such file or directory`);
    files.push({ name, text: new TextDecoder().decode(bytes) });
  }
  const workingDir = names[0] === '-' ? cwd : dirname(resolve(cwd, names[0]!));
  return { files, workingDir };
}

/** Reads and loads the stack; ComposeError (every problem with its place) passes through. */
export async function loadStackFiles(
  stack: string,
  names: readonly string[],
  stdin: NodeJS.ReadableStream,
  environment: NodeJS.ProcessEnv,
  cwd: string,
): Promise<StackDeployment> {
  const { files, workingDir } = await readComposeFiles(names, stdin, cwd);
  return loadStack({
    stack,
    files,
    workingDir,
    environment: (name) => environment[name],
    readFile: readReferencedFile,
  });
}
