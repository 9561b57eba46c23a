// The path of an exec task's output from the process to its log files. Each of stdout and
// stderr is a FIFO in the task's directory. The process gets the FIFO opened read-write as its
// stdout (stderr), so the pipe always has a reader and the process never dies of SIGPIPE, even
// while no agent runs; the driver reads the FIFO (non-blocking, through the event loop) and
// appends timestamped lines to the log files. While no driver reads (between an agent's exit
// and the adoption by the next), output waits in the pipe, and a process that fills the pipe
// (64 KiB) blocks on its next write until it is read again: the same as Docker's live-restore.
// Output still in the pipe when a process exits with no driver reading is lost.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { LineSplitter, type LogRecord, type Stream } from './exec-logs.ts';
import { formatRfc3339Nano } from './timestamps.ts';

/** Makes the FIFO at `path` unless it exists. */
export function makeFifo(path: string): void {
  if (existsSync(path)) return;
  // Node has no mkfifo(3); coreutils' mkfifo is on every system this runs on.
  execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
}

/**
 * The FIFO opened read-write, to hand to the process as its stdout or stderr. Blocking (the
 * process's writes wait for room rather than fail with EAGAIN); on Linux opening a FIFO
 * read-write never waits for a peer.
 */
export function openFifoForProcess(path: string): number {
  return openSync(path, constants.O_RDWR);
}

/** Reads one FIFO into records until every writer closed it, or close(). */
export class OutputPump {
  private readonly socket: Socket;
  private readonly splitter = new LineSplitter();
  private ended = false;
  readonly done: Promise<void>;

  constructor(
    path: string,
    private readonly stream: Stream,
    private readonly sink: (records: LogRecord[]) => void,
    onError: (error: Error) => void,
  ) {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      this.socket = new Socket({ fd, readable: true, writable: false });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.socket.unref();
    this.done = new Promise((resolve) => {
      this.socket.on('data', (chunk: Buffer) => this.write(this.splitter.push(chunk)));
      this.socket.once('end', () => {
        this.finish();
        resolve();
      });
      this.socket.once('close', () => {
        this.finish();
        resolve();
      });
      this.socket.once('error', (error) => {
        onError(error);
        this.finish();
        resolve();
      });
    });
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Stops reading (what the pipe still holds stays there for the next reader). */
  close(): void {
    this.finish();
    this.socket.destroy();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.write(this.splitter.flush());
  }

  private write(lines: { content: Buffer; partial: boolean }[]): void {
    if (lines.length === 0) return;
    const time = formatRfc3339Nano();
    this.sink(lines.map((l) => ({ time, stream: this.stream, ...l })));
  }
}
