// The engine service's own duties (not the engine's decisions, tested in test/main/engine): learn the
// files a program maps, warm them into the page cache when it is predicted to start, audit it.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { SETTINGS_MIGRATIONS, createSettingsStore } from '../../../src-main/store/settings';
import { AuditLog, auditMigrations } from '../../../src-main/store/audit';
import { ENGINE_MIGRATIONS, createEngineService } from '../../../src-main/core/engine-service';
import type { ActuatorSurface } from '../../../src-main/core/pipeline';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';

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
        return `7f0000000000-7f0000020000 r-xp 00000000 fd:01 5678  ${library}\n`;
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
