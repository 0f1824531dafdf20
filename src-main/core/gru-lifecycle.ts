// The recurrent forecaster's life in the engine service: loaded from the store when one was trained
// for the current step, trained in a worker once enough full-rate history exists, retrained when it
// is GRU_RETRAIN_MS old, and set aside when the step changes. The model in use keeps forecasting
// while its successor trains.
import type { Db } from '../store/db';
import type { ForecastBank } from '../engine/forecast-bank';
import { GruForecaster } from '../engine/forecast/gru';
import { loadModel, saveModel, trainGruInWorker } from './gru-trainer';

/** The GRU trains once this much full-rate history exists; a failed run is tried again after GRU_RETRY_MS. */
export const GRU_MIN_POINTS = 300;
export const GRU_RETRY_MS = 10 * 60_000;
/** A trained GRU (also one loaded from the store) is trained again on the recent history after this long. */
export const GRU_RETRAIN_MS = 6 * 3_600_000;

export type GruState = 'none' | 'training' | 'ready';

/**
 * Whether a training run may start now (given GRU_MIN_POINTS of history): not while one runs, not
 * within GRU_RETRY_MS of the last attempt, not while the model in use is younger than GRU_RETRAIN_MS
 * (programs and habits change; a model from last week's first ten minutes forecasts last week).
 */
export function gruTrainingDue(input: { state: GruState; nowMs: number; lastAttemptMs: number; trainedAtMs: number }): boolean {
  const { state, nowMs } = input;
  if (state === 'training' || nowMs - input.lastAttemptMs < GRU_RETRY_MS) return false;
  return !(state === 'ready' && nowMs - input.trainedAtMs < GRU_RETRAIN_MS);
}

export interface GruLifecycleOptions {
  db: Db;
  forecasts: ForecastBank;
  /** The training worker (gru-worker.js, or .ts from source). */
  workerUrl: URL;
  /** Recent full-rate system CPU (%), oldest first. */
  recentSystemCpu?: () => number[];
  now: () => number;
  log: (message: string) => void;
  /** True once the service closes: a run finishing after that is dropped. */
  closed: () => boolean;
}

export interface GruLifecycle {
  /** Start a training run in the worker when one is due. */
  maybeTrain(): void;
  /** The forecast step changed: drop runs for the old step, load a model trained for the new one if stored. */
  stepChanged(): void;
}

export function createGruLifecycle(options: GruLifecycleOptions): GruLifecycle {
  const { db, forecasts, now, log } = options;
  const gruKey = (): string => `system.cpu@${forecasts.options.stepMs}ms`;
  let gruState: GruState = 'none';
  let gruLastAttemptMs = 0;
  /** When the model in use was trained (from the store when loaded). */
  let gruTrainedAtMs = 0;
  /** Bumped when the step changes: a training run from an older generation is stale. */
  let gruGeneration = 0;
  const addGru = (weights: Parameters<typeof saveModel>[2], trainedAtMs: number): void => {
    gruTrainedAtMs = trainedAtMs;
    const model = new GruForecaster(weights);
    // Warm its state on the recent series so its first forecasts are not from a cold start.
    for (const value of options.recentSystemCpu?.() ?? []) model.update(value);
    forecasts.addSystemCpuModel(model);
    gruState = 'ready';
  };
  const loadStored = (): void => {
    const stored = loadModel(db, gruKey());
    if (stored) addGru(stored.weights, stored.trainedAtMs);
  };
  loadStored();

  return {
    maybeTrain() {
      if (!gruTrainingDue({ state: gruState, nowMs: now(), lastAttemptMs: gruLastAttemptMs, trainedAtMs: gruTrainedAtMs })) return;
      const series = options.recentSystemCpu?.() ?? [];
      if (series.length < GRU_MIN_POINTS) return;
      const previousState = gruState;
      gruState = 'training';
      gruLastAttemptMs = now();
      const key = gruKey();
      const generation = gruGeneration;
      trainGruInWorker(options.workerUrl, series, { seed: 1 })
        .then((weights) => {
          // Trained for another step (the interval changed meanwhile) or after close: not ours to add.
          if (options.closed() || generation !== gruGeneration) return;
          const trainedAtMs = now();
          saveModel(db, key, weights, series.length, trainedAtMs);
          addGru(weights, trainedAtMs);
          log(`GRU forecaster ${previousState === 'ready' ? 'retrained' : 'trained'} on ${series.length} points of system CPU; it competes in model selection`);
        })
        .catch((error: Error) => {
          // A failed retraining leaves the model in use in place.
          if (generation === gruGeneration) gruState = previousState;
          log(`GRU training failed: ${error.message}`);
        });
    },
    stepChanged() {
      // A model trained at another step forecasts the wrong distance ahead: look for one for this step.
      gruGeneration++;
      gruState = 'none';
      gruLastAttemptMs = 0;
      loadStored();
    },
  };
}
