// The recurrent forecaster's life (src-main/core/gru-lifecycle.ts): when a training run may start,
// then through the engine service: trained in a worker, reloaded after a restart, retrained when old.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { createSettingsStore } from '../../../src-main/store/settings';
import { GRU_RETRAIN_MS, createEngineService } from '../../../src-main/core/engine-service';
import { GRU_RETRY_MS, gruTrainingDue } from '../../../src-main/core/gru-lifecycle';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import { MODEL_MIGRATIONS, loadModel, saveModel, trainGruInWorker } from '../../../src-main/core/gru-trainer';
import { waitFor } from '../../helpers/proc';
import { SERVICE_MIGRATIONS, refusingActuator } from './fixtures/engine';

describe('when the GRU may train', () => {
  const at = 100 * GRU_RETRAIN_MS;
  it('trains without a model, not while a run is going, not within the retry interval of the last attempt', () => {
    expect(gruTrainingDue({ state: 'none', nowMs: at, lastAttemptMs: 0, trainedAtMs: 0 })).toBe(true);
    expect(gruTrainingDue({ state: 'training', nowMs: at, lastAttemptMs: 0, trainedAtMs: 0 })).toBe(false);
    expect(gruTrainingDue({ state: 'none', nowMs: at, lastAttemptMs: at - GRU_RETRY_MS + 1, trainedAtMs: 0 })).toBe(false);
    expect(gruTrainingDue({ state: 'none', nowMs: at, lastAttemptMs: at - GRU_RETRY_MS, trainedAtMs: 0 })).toBe(true);
  });

  it('retrains a model in use once it is GRU_RETRAIN_MS old', () => {
    expect(gruTrainingDue({ state: 'ready', nowMs: at, lastAttemptMs: 0, trainedAtMs: at - GRU_RETRAIN_MS + 1 })).toBe(false);
    expect(gruTrainingDue({ state: 'ready', nowMs: at, lastAttemptMs: 0, trainedAtMs: at - GRU_RETRAIN_MS })).toBe(true);
  });
});

/** What the GRU tests share: a store with every migration, a recent CPU history, the worker, a clock, ticks. */
const GRU_MIGRATIONS = [...SERVICE_MIGRATIONS, ...MODEL_MIGRATIONS];
const RECENT_CPU = Array.from({ length: 400 }, (_, i) => 40 + 30 * Math.sin(i / 9));
const GRU_WORKER_URL = new URL('../../../src-main/core/gru-worker.ts', import.meta.url);
function gruClock(startMs: number) {
  const clock = { nowMs: startMs };
  const make = (database: Db) =>
    createEngineService({ db: database, settings: createSettingsStore(database), actuator: refusingActuator, now: () => clock.nowMs, gruWorkerUrl: GRU_WORKER_URL, recentSystemCpu: () => RECENT_CPU });
  const tick = (service: ReturnType<typeof make>) => {
    clock.nowMs += 1000;
    const sample = fixtureSample([fixtureProcess()], clock.nowMs);
    sample.system.cpuPercent = 40 + 30 * Math.sin(clock.nowMs / 9000);
    return service.step(sample);
  };
  return { clock, make, tick };
}

describe('engine service: recurrent forecaster', () => {
  it('trains the GRU in a worker on recent history, uses it in model selection, and reloads it after a restart', async () => {
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-gru-'));
    let db = openDb({ path: join(dir, 'a.db'), migrations: GRU_MIGRATIONS });
    try {
      const { make, tick: tickOf } = gruClock(1_763_700_000_000);
      let service = make(db);
      const tick = () => tickOf(service);
      await tick();
      await waitFor(() => loadModel(db, 'system.cpu@1000ms'), 60_000, 'the GRU to be trained and saved');
      let report = await tick();
      for (let i = 0; i < 10; i++) report = await tick();
      const systemCpu = report!.modelErrors.find((row) => row.series === 'system.cpu');
      expect(systemCpu?.models.map((row) => row.model)).toContain('gru');
      await service.close();
      db.close();
      // Restart: the stored weights are used at once, without training again.
      db = openDb({ path: join(dir, 'a.db'), migrations: GRU_MIGRATIONS });
      service = make(db);
      for (let i = 0; i < 3; i++) report = await tick();
      expect(report!.modelErrors.find((row) => row.series === 'system.cpu')?.models.map((row) => row.model)).toContain('gru');
      await service.close();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('engine service: the GRU is retrained when it is old', () => {
  it('keeps a young stored model, retrains one older than GRU_RETRAIN_MS, and serves one GRU throughout', async () => {
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-gru-retrain-'));
    const db = openDb({ path: join(dir, 'a.db'), migrations: GRU_MIGRATIONS });
    try {
      const { clock, make, tick: tickOf } = gruClock(1_763_700_000_000);
      // A model trained an hour ago, stored as a previous run left it.
      const weights = await trainGruInWorker(GRU_WORKER_URL, RECENT_CPU, { seed: 1 });
      saveModel(db, 'system.cpu@1000ms', weights, RECENT_CPU.length, clock.nowMs - 3_600_000);
      const service = make(db);
      const tick = () => tickOf(service);
      const gruRows = (report: Awaited<ReturnType<typeof tick>>) => report!.modelErrors.find((row) => row.series === 'system.cpu')!.models.filter((row) => row.model === 'gru');
      let report = await tick();
      expect(gruRows(report)).toHaveLength(1);
      // Young: the stored one is used and not trained again.
      await tick();
      expect(loadModel(db, 'system.cpu@1000ms')?.trainedAtMs).toBe(1_763_700_000_000 - 3_600_000);
      // Six hours on, it is trained again on the recent history and put in place of the old one.
      clock.nowMs += GRU_RETRAIN_MS;
      await tick();
      await waitFor(() => (loadModel(db, 'system.cpu@1000ms')?.trainedAtMs ?? 0) > 1_763_700_000_000, 60_000, 'the GRU to be retrained');
      for (let i = 0; i < 3; i++) report = await tick();
      expect(gruRows(report)).toHaveLength(1);
      await service.close();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
