// The engine service's own duties (not the engine's decisions, tested in test/main/engine): learn the
// files a program maps, warm them into the page cache when it is predicted to start, audit it.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { SETTINGS_MIGRATIONS, createSettingsStore } from '../../../src-main/store/settings';
import { AuditLog, auditMigrations } from '../../../src-main/store/audit';
import { ENGINE_MIGRATIONS, GRU_RETRAIN_MS, createEngineService } from '../../../src-main/core/engine-service';
import type { ActuatorSurface } from '../../../src-main/core/pipeline';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import { MODEL_MIGRATIONS, loadModel, saveModel, trainGruInWorker } from '../../../src-main/core/gru-trainer';
import { waitFor } from '../../helpers/proc';

const actuator: ActuatorSurface = {
  apply: async () => ({ kind: 'refused', reason: 'unsupported', message: 'test', changeId: null }),
  undo: async () => ({ kind: 'refused', reason: 'invalid', message: 'test', changeId: null }),
  checkExternal: async () => ({ external: [], gone: [] }),
  listChanges: () => [],
  restoreAll: async () => ({ outcomes: [], cleaned: [] }) as never,
};

describe('engine service: prefetch', () => {
  let dir: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns a program\'s files while it runs and prefetches them when it is predicted to start', async () => {
    dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    const library = join(dir, 'libfixture.so');
    writeFileSync(library, Buffer.alloc(64 * 1024, 1));
    db = openDb({ path: join(dir, 'a.db'), migrations: [...SETTINGS_MIGRATIONS, ...auditMigrations, ...ENGINE_MIGRATIONS] });
    const settings = createSettingsStore(db);
    settings.updateSettings({ engine: { mode: 'auto' } });
    const audit = new AuditLog(db);
    let nowMs = 1_763_700_000_000;
    const mapsRead: number[] = [];
    const service = createEngineService({
      db,
      settings,
      actuator,
      audit,
      now: () => nowMs,
      prefetchProbability: 0,
      readMaps: (pid) => {
        mapsRead.push(pid);
        return `7f0000000000-7f0000020000 r-xp 00000000 fd:01 ${statSync(library).ino}  ${library}\n`;
      },
    });
    const running = fixtureProcess({ pid: 500, programId: '/usr/bin/fixture', startedAtMs: nowMs - 10_000 });
    await service.step(fixtureSample([running], nowMs));
    expect(mapsRead).toEqual([500]);
    expect(service.state().prefetch).toMatchObject({ supported: true, programsKnown: 1, recent: [] });
    // A minute later it is not running: its files are read ahead, once, and audited.
    nowMs += 61_000;
    await service.step(fixtureSample([], nowMs));
    expect(service.state().prefetch.recent).toEqual([
      { at: nowMs, programId: '/usr/bin/fixture', name: 'fixture', probability: expect.any(Number), files: 1, bytes: 64 * 1024 },
    ]);
    expect(audit.query({ limit: 5 }).entries).toMatchObject([{ actor: 'engine', action: 'prefetch', result: 'info', name: 'fixture' }]);
    nowMs += 61_000;
    await service.step(fixtureSample([], nowMs));
    expect(service.state().prefetch.recent).toHaveLength(1);
    await service.close();
  });

  it('does nothing outside Auto', async () => {
    dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    db = openDb({ path: join(dir, 'a.db'), migrations: [...SETTINGS_MIGRATIONS, ...auditMigrations, ...ENGINE_MIGRATIONS] });
    const settings = createSettingsStore(db);
    let nowMs = 1_763_700_000_000;
    const service = createEngineService({ db, settings, actuator, now: () => nowMs, prefetchProbability: 0, readMaps: () => `7f00-7f01 r-xp 0 fd:01 5 ${join(dir, 'a.db')}\n` });
    await service.step(fixtureSample([fixtureProcess({ programId: '/usr/bin/fixture', startedAtMs: nowMs - 10_000 })], nowMs));
    nowMs += 61_000;
    await service.step(fixtureSample([], nowMs));
    expect(service.state().prefetch.recent).toEqual([]);
    await service.close();
  });
});

/** What the GRU tests share: a store with every migration, a recent CPU history, the worker, a clock, ticks. */
const GRU_MIGRATIONS = [...SETTINGS_MIGRATIONS, ...auditMigrations, ...ENGINE_MIGRATIONS, ...MODEL_MIGRATIONS];
const RECENT_CPU = Array.from({ length: 400 }, (_, i) => 40 + 30 * Math.sin(i / 9));
const GRU_WORKER_URL = new URL('../../../src-main/core/gru-worker.ts', import.meta.url);
function gruClock(startMs: number) {
  const clock = { nowMs: startMs };
  const make = (database: Db) =>
    createEngineService({ db: database, settings: createSettingsStore(database), actuator, now: () => clock.nowMs, gruWorkerUrl: GRU_WORKER_URL, recentSystemCpu: () => RECENT_CPU });
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

describe('engine service: closing', () => {
  it('refuses mode changes and advice once closing, and runs no tick after close', async () => {
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    const db = openDb({ path: join(dir, 'a.db'), migrations: [...SETTINGS_MIGRATIONS, ...auditMigrations, ...ENGINE_MIGRATIONS] });
    try {
      let applied = 0;
      const counting: ActuatorSurface = { ...actuator, apply: async (...args) => (applied++, actuator.apply(...args)) };
      const service = createEngineService({ db, settings: createSettingsStore(db), actuator: counting, now: () => 1_763_700_000_000 });
      await service.close();
      await expect(service.setMode('auto')).rejects.toThrow(/stopping/);
      await expect(service.pause(60)).rejects.toThrow(/stopping/);
      expect(await service.applyAdvice('anything')).toEqual({ kind: 'invalid', message: 'Allot is stopping' });
      expect(await service.step(fixtureSample([fixtureProcess({ cpuPercent: 99 })]))).toBeNull();
      expect(applied).toBe(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
