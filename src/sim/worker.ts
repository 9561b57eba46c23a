// A worker thread of `npm run sim`: runs the seeds it is sent and posts each result back.
import { parentPort, workerData } from 'node:worker_threads';
import { Simulation } from './simulation.ts';

const { faultyMs, quietMs } = workerData as { faultyMs: number; quietMs: number };
parentPort!.on('message', (seed: number) => {
  parentPort!.postMessage(new Simulation({ seed, faultyMs, quietMs }).run());
});
