// `shoal swarm ca`: shows the root CA, and with --rotate starts a root rotation and follows it
// as docker does (cli/command/swarm/ca.go and progress/root_rotation.go): two bars, nodes
// whose certificate comes from the desired issuer and nodes that trust the desired root, drawn
// from GET /swarm and GET /nodes every 200 ms; then the new root certificate.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClusterSpec, Node, TLSInfo } from '../../store/index.ts';
import { CliError, type Connection } from '../connection.ts';

const POLL_MS = 200;
/** Labels padded as docker pads them, so both bars start in the same column. */
const CERTS_LABEL = '  rotated TLS certificates';
const ROOTS_LABEL = '  rotated CA certificates';
const DIGEST_LABEL = 'desired root digest';
const BAR_WIDTH = 50;
/** Docker draws bars only on terminals wider than this. */
const BAR_MIN_COLUMNS = 110;
const ESC = '\x1b[';

export interface SwarmWithCa {
  Version: { Index: number };
  Spec: ClusterSpec;
  TLSInfo: TLSInfo;
  RootRotationInProgress: boolean;
}

export interface CaFlags {
  rotate?: boolean;
  caCert?: string;
  caKey?: string;
  certExpiry?: string;
  detach?: boolean;
  quiet?: boolean;
}

/** One line of the progress: a label, a status and, for the bars, counts of nodes. */
export interface ProgressLine {
  id: string;
  action: string;
  current?: number;
  total?: number;
}

/**
 * docker's updateProgress: the desired root's digest, nodes with a certificate from the
 * desired issuer, and nodes trusting the desired root (counted only once every certificate
 * is rotated and the rotation is over). `done` when both bars are full.
 */
export function rotationProgress(
  swarm: Pick<SwarmWithCa, 'TLSInfo' | 'RootRotationInProgress'>,
  nodes: readonly Pick<Node, 'Description'>[],
): { lines: ProgressLine[]; done: boolean } {
  const desired = swarm.TLSInfo;
  let certs = 0;
  let roots = 0;
  for (const node of nodes) {
    const info = node.Description.TLSInfo;
    if (
      info?.CertIssuerPublicKey === desired.CertIssuerPublicKey &&
      info.CertIssuerSubject === desired.CertIssuerSubject
    ) {
      certs++;
    }
    if (info?.TrustRoot === desired.TrustRoot) roots++;
  }
  const total = nodes.length;
  const certsDone = certs === total && !swarm.RootRotationInProgress;
  const digest = `sha256:${createHash('sha256').update(desired.TrustRoot).digest('hex')}`;
  return {
    lines: [
      { id: DIGEST_LABEL, action: digest },
      { id: CERTS_LABEL, action: '', current: certs, total },
      { id: ROOTS_LABEL, action: ' ', current: certsDone ? roots : 0, total },
    ],
    done: certsDone && roots === total,
  };
}

/** A line as docker's JSONProgress.String() draws it with units "nodes". */
export function formatProgressLine(line: ProgressLine, columns: number, bars: boolean): string {
  const current = line.current ?? 0;
  const total = line.total ?? 0;
  let progress = '';
  if (current > 0 || total > 0) {
    if (total <= 0) progress = `${current} nodes`;
    else {
      const percentage = Math.min(BAR_WIDTH, Math.trunc(Math.trunc((current / total) * 100) / 2));
      const bar =
        bars && columns > BAR_MIN_COLUMNS
          ? `[${'='.repeat(percentage)}>${' '.repeat(BAR_WIDTH - percentage)}] `
          : '';
      progress = bar + (current > total ? `${current} nodes` : `${current}/${total} nodes`);
    }
  }
  return `${line.id}: ${line.action} ${progress}`.trimEnd();
}

/**
 * Draws the lines: on a terminal in place (three lines redrawn each poll); elsewhere a line
 * is printed when its text changes (docker prints bars on terminals only).
 */
export class RotationDisplay {
  private drawn = 0;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly terminal: boolean,
    private readonly columns: number,
  ) {}

  show(lines: readonly ProgressLine[]): void {
    if (this.terminal) {
      let out = this.drawn > 0 ? `${ESC}${this.drawn}A` : '';
      for (const line of lines)
        out += `${ESC}2K\r${formatProgressLine(line, this.columns, true)}\n`;
      this.drawn = lines.length;
      this.write(out);
      return;
    }
    for (const line of lines) {
      const text = formatProgressLine(line, this.columns, false);
      if (this.last.get(line.id) === text) continue;
      this.last.set(line.id, text);
      this.write(`${text}\n`);
    }
  }
}

/** docker's checks of the flags, before anything is sent. */
export function checkCaFlags(flags: CaFlags): void {
  if (!flags.rotate) {
    for (const [name, value] of [
      ['ca-cert', flags.caCert],
      ['ca-key', flags.caKey],
    ] as const) {
      if (value !== undefined) {
        throw new CliError(
          `Error: \`--${name}\` flag requires the \`--rotate\` flag to update the CA`,
        );
      }
    }
    return;
  }
  if (flags.caCert !== undefined && flags.caKey === undefined) {
    throw new CliError(
      'Error: the --ca-cert flag requires that a --ca-key flag and/or --external-ca flag be provided as well',
    );
  }
}

/** The spec `swarm ca --rotate` sends: the given root and key, or ForceRotate moved on. */
export function rotationSpec(
  current: ClusterSpec,
  certPem: string | undefined,
  keyPem: string | undefined,
  certExpiryNs: number | undefined,
): ClusterSpec & { CAConfig: { SigningCACert?: string; SigningCAKey?: string } } {
  const caConfig: ClusterSpec['CAConfig'] = { ...current.CAConfig };
  if (certExpiryNs !== undefined) caConfig.NodeCertExpiry = certExpiryNs;
  if (certPem !== undefined) caConfig.SigningCACert = certPem;
  if (keyPem !== undefined) caConfig.SigningCAKey = keyPem;
  if (certPem === undefined && keyPem === undefined) {
    caConfig.ForceRotate = (current.CAConfig.ForceRotate ?? 0) + 1;
  }
  return { ...current, CAConfig: caConfig };
}

/** Reads a PEM file given to --ca-cert or --ca-key, with docker's kind of message. */
export function readPemFlag(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `Error: invalid argument "${path}" for "--${flag}" flag: ${(error as Error).message}`,
      125,
    );
  }
}

/**
 * After the update: follows the rotation until it converges (unless quiet, drawing the
 * bars), then prints the new root. Ctrl-C leaves it running on the cluster.
 */
export async function followRotation(
  connection: Connection,
  options: { quiet: boolean; write: (text: string) => void; terminal: boolean; columns: number },
): Promise<void> {
  const display = new RotationDisplay(options.write, options.terminal, options.columns);
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (;;) {
      const swarm = await connection.call<SwarmWithCa>('GET', '/swarm');
      const nodes = await connection.call<Node[]>('GET', '/nodes');
      const { lines, done } = rotationProgress(swarm, nodes);
      if (!options.quiet) display.show(lines);
      if (done) break;
      if (interrupted) {
        if (!options.quiet) options.write('Operation continuing in background.\n');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  if (options.quiet) return;
  const swarm = await connection.call<SwarmWithCa>('GET', '/swarm');
  const root = swarm.TLSInfo.TrustRoot;
  options.write(root.endsWith('\n') ? root : `${root}\n`);
}
