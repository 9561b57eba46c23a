// `shoal ca issue-client`: an API client certificate for `docker --tlsverify` (or any Docker
// client) against a node's TLS port (`shoal daemon --tls-listen`). The key is made here and
// never sent: the manager signs a CSR. Writes ca.pem, cert.pem and key.pem, the names the
// docker CLI looks for in DOCKER_CERT_PATH.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateNodeKeyAndCsr } from '../../pki/index.ts';
import { CliError, withDaemon } from '../connection.ts';
import { parseDurationMs } from '../duration.ts';

const NANOSECONDS_PER_MILLISECOND = 1_000_000;
const FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;

interface IssueFlags {
  out: string;
  name?: string;
  expiry?: string;
  force?: boolean;
}

export function registerCa(program: Command): void {
  const ca = program.command('ca').description("Manage the cluster CA's API client certificates");
  ca.command('issue-client')
    .description('Issue a client certificate for the TLS API (docker --tlsverify)')
    .requiredOption('--out <dir>', 'directory to write ca.pem, cert.pem and key.pem to')
    .option('--name <name>', "the certificate's common name (default: user@host)")
    .option('--expiry <duration>', 'validity period (ns|us|ms|s|m|h)', '2160h')
    .option('-f, --force', 'overwrite existing files')
    .action(async (flags: IssueFlags, command: Command) => {
      const dir = resolve(flags.out);
      const existing = FILES.filter((file) => existsSync(join(dir, file)));
      if (existing.length > 0 && !flags.force) {
        throw new CliError(
          `Error: ${existing.map((file) => join(dir, file)).join(', ')} already exist: use --force to replace them`,
        );
      }
      const name = flags.name ?? `${userInfo().username}@${hostname()}`;
      const expiryMs = parseDurationMs(flags.expiry ?? '2160h');
      const { keyPem, csrPem } = await generateNodeKeyAndCsr({ commonName: name });
      const issued = await withDaemon(command.optsWithGlobals().host, (connection) =>
        connection.call<{ Certificate: string; CA: string }>(
          'POST',
          '/shoal/ca/client-certificates',
          { body: { CSR: csrPem, Name: name, Expiry: expiryMs * NANOSECONDS_PER_MILLISECOND } },
        ),
      );
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'ca.pem'), issued.CA, { mode: 0o644 });
      await writeFile(join(dir, 'cert.pem'), issued.Certificate, { mode: 0o644 });
      await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
      console.log(`Client certificate for ${name} written to ${dir} (ca.pem, cert.pem, key.pem).`);
      console.log('Use it with a node started with --tls-listen:');
      console.log(
        `    docker --tlsverify --tlscacert ${join(dir, 'ca.pem')} --tlscert ${join(dir, 'cert.pem')} --tlskey ${join(dir, 'key.pem')} -H tcp://<node>:2376 node ls`,
      );
      console.log(
        `or: export DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${dir} DOCKER_HOST=tcp://<node>:2376`,
      );
    });
}
