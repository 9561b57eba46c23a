// A log subscription opened on another manager (the leader) through Logs.Subscribe, read like
// a local one.
import type * as grpc from '@grpc/grpc-js';
import type { WireLogBatch } from './protocol.ts';

export interface LogSource extends AsyncIterable<WireLogBatch> {
  close(): void;
}

export function remoteLogSource(call: grpc.ClientReadableStream<unknown>): LogSource {
  return {
    close: () => call.cancel(),
    async *[Symbol.asyncIterator]() {
      try {
        for await (const batch of call as AsyncIterable<WireLogBatch>) yield batch;
      } catch (error) {
        const code = (error as grpc.ServiceError).code;
        if (code === 1) return; // CANCELLED: we closed it
        yield {
          lines: [],
          warnings: [`the leader ended the log stream: ${(error as Error).message}`],
        };
      } finally {
        call.cancel();
      }
    },
  };
}
