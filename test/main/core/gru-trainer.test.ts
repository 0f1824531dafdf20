// GRU training in a real worker thread, and its weights kept in a real SQLite file.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainGruInWorker, saveModel, loadModel, MODEL_MIGRATIONS } from '../../../src-main/core/gru-trainer';
import { GruForecaster, trainGru } from '../../../src-main/engine/forecast/gru';
import { openDb } from '../../../src-main/store/db';

const WORKER = new URL('../../../src-main/core/gru-worker.ts', import.meta.url);
const sine = Array.from({ length: 400 }, (_, i) => 50 + 30 * Math.sin(i / 8));
const options = { iterations: 20, seed: 7 };

describe('GRU trainer', () => {
  it('trains in a worker exactly as inline (deterministic), and the weights forecast', async () => {
    const weights = await trainGruInWorker(WORKER, sine, options);
    expect(weights).toEqual(trainGru(sine, options));
    const model = new GruForecaster(weights);
    for (const value of sine) model.update(value);
    const forecast = model.forecast(1);
    expect(Number.isFinite(forecast.p50)).toBe(true);
    expect(forecast.p90).toBeGreaterThanOrEqual(forecast.p50);
  });

  it('rejects bad training input with the reason', async () => {
    await expect(trainGruInWorker(WORKER, sine, { hidden: 0 })).rejects.toThrow(/hidden/);
  });

  it('keeps the weights across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-gru-'));
    try {
      const weights = trainGru(sine, options);
      let db = openDb({ path: join(dir, 'a.db'), migrations: MODEL_MIGRATIONS });
      saveModel(db, 'system.cpu', weights, sine.length, 1234);
      db.close();
      db = openDb({ path: join(dir, 'a.db'), migrations: MODEL_MIGRATIONS });
      expect(loadModel(db, 'system.cpu')).toEqual({ weights, trainedAtMs: 1234 });
      expect(loadModel(db, 'system.memory')).toBeUndefined();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
