// Trains the recurrent forecaster in its own worker thread on the recorded series, and keeps the
// weights in the store so the next start forecasts with them at once.
import { Worker } from 'node:worker_threads';
import type { Db, Migration } from '../store/db';
import type { GruTrainOptions, GruWeights } from '../engine/forecast/gru';
import type { GruJob, GruJobResult } from './gru-worker';

export const MODEL_MIGRATIONS: readonly Migration[] = [
  {
    id: 'models.1',
    sql: 'CREATE TABLE forecast_models (series TEXT PRIMARY KEY, json TEXT NOT NULL, trained_at_ms INTEGER NOT NULL, points INTEGER NOT NULL)',
  },
];

/** Run trainGru in a worker thread. `workerUrl`: the built gru-worker.js, or the .ts source (tests). */
export function trainGruInWorker(workerUrl: URL, series: readonly number[], options: GruTrainOptions = {}, timeoutMs = 120_000): Promise<GruWeights> {
  const job: GruJob = { series: [...series], options };
  const worker = workerUrl.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(workerUrl.href)}, ${JSON.stringify(workerUrl.href)}))`, { eval: true, workerData: job })
    : new Worker(workerUrl, { workerData: job });
  return new Promise<GruWeights>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`GRU training took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    worker.once('message', (result: GruJobResult) => {
      clearTimeout(timer);
      void worker.terminate();
      if (result.ok) resolve(result.weights);
      else reject(new Error(result.message));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`GRU worker exited with code ${code}`));
    });
  });
}

export function saveModel(db: Db, series: string, weights: GruWeights, points: number, nowMs: number): void {
  db.prepare(
    'INSERT INTO forecast_models (series, json, trained_at_ms, points) VALUES (?, ?, ?, ?) ON CONFLICT(series) DO UPDATE SET json = excluded.json, trained_at_ms = excluded.trained_at_ms, points = excluded.points',
  ).run(series, JSON.stringify(weights), nowMs, points);
}

export function loadModel(db: Db, series: string): { weights: GruWeights; trainedAtMs: number } | undefined {
  const row = db.prepare('SELECT json, trained_at_ms FROM forecast_models WHERE series = ?').raw().get(series) as [string, number] | undefined;
  if (!row) return undefined;
  try {
    const weights = JSON.parse(row[0]) as GruWeights;
    return weights.kind === 'gru-weights' ? { weights, trainedAtMs: row[1] } : undefined;
  } catch {
    return undefined;
  }
}
