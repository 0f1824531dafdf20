// Worker-thread entry: trains the GRU forecaster (pure, deterministic, CPU-heavy) off the core's
// thread, so a training run never delays a tick. One message in (series + options), one out.
import { parentPort, workerData } from 'node:worker_threads';
import { trainGru, type GruTrainOptions, type GruWeights } from '../engine/forecast/gru';
import { errorMessage } from '../../src-shared/errors';

export interface GruJob {
  series: number[];
  options: GruTrainOptions;
}
export type GruJobResult = { ok: true; weights: GruWeights; trainMs: number } | { ok: false; message: string };

const job = workerData as GruJob;
const startedAt = performance.now();
let result: GruJobResult;
try {
  result = { ok: true, weights: trainGru(job.series, job.options), trainMs: performance.now() - startedAt };
} catch (error) {
  result = { ok: false, message: errorMessage(error) };
}
parentPort?.postMessage(result);
