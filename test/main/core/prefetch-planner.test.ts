// Prefetch (src-main/core/prefetch-planner.ts): which programs are picked, then the engine service
// learning a program's files, warming them into the page cache when it is predicted to start, and
// auditing it; only in Auto.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { createSettingsStore } from '../../../src-main/store/settings';
import { AuditLog } from '../../../src-main/store/audit';
import { createEngineService } from '../../../src-main/core/engine-service';
import type { ProgramFiles } from '../../../src-main/core/engine-store';
import { PREFETCH_REPEAT_MS, planPrefetch } from '../../../src-main/core/prefetch-planner';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import { SERVICE_MIGRATIONS, refusingActuator } from './fixtures/engine';

describe('planning a prefetch', () => {
  const files = (name: string): ProgramFiles => ({ name, files: [{ path: `/usr/lib/${name}.so`, inode: 1 }] });
  const programFiles = new Map([
    ['/usr/bin/editor', files('editor')],
    ['/usr/bin/game', files('game')],
    ['/usr/bin/mail', files('mail')],
    ['/usr/bin/vm', files('vm')],
  ]);
  const probability: Record<string, number> = { '/usr/bin/editor': 0.9, '/usr/bin/game': 0.6, '/usr/bin/mail': 0.4, '/usr/bin/vm': 0.8 };
  const plan = (overrides: Partial<Parameters<typeof planPrefetch>[0]> = {}) =>
    planPrefetch({
      atMs: PREFETCH_REPEAT_MS * 10,
      programFiles,
      running: new Set(),
      excluded: new Set(),
      lastPrefetchAt: new Map(),
      threshold: 0.5,
      probabilityOf: (programId) => probability[programId] ?? 0,
      ...overrides,
    }).map((c) => c.programId);

  it('picks programs likely enough to start, most likely first', () => {
    expect(plan()).toEqual(['/usr/bin/editor', '/usr/bin/vm', '/usr/bin/game']);
  });

  it('skips what runs, what is excluded by id or name, and what was prefetched within the repeat interval', () => {
    const atMs = PREFETCH_REPEAT_MS * 10;
    expect(plan({ running: new Set(['/usr/bin/editor']) })).toEqual(['/usr/bin/vm', '/usr/bin/game']);
    expect(plan({ excluded: new Set(['/usr/bin/vm', 'game']) })).toEqual(['/usr/bin/editor']);
    const lastPrefetchAt = new Map([['/usr/bin/editor', atMs - PREFETCH_REPEAT_MS + 1], ['/usr/bin/vm', atMs - PREFETCH_REPEAT_MS]]);
    expect(plan({ lastPrefetchAt })).toEqual(['/usr/bin/vm', '/usr/bin/game']);
  });
});

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
    db = openDb({ path: join(dir, 'a.db'), migrations: SERVICE_MIGRATIONS });
    const settings = createSettingsStore(db);
    settings.updateSettings({ engine: { mode: 'auto' } });
    const audit = new AuditLog(db);
    let nowMs = 1_763_700_000_000;
    const mapsRead: number[] = [];
    const service = createEngineService({
      db,
      settings,
      actuator: refusingActuator,
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
    db = openDb({ path: join(dir, 'a.db'), migrations: SERVICE_MIGRATIONS });
    const settings = createSettingsStore(db);
    let nowMs = 1_763_700_000_000;
    const service = createEngineService({ db, settings, actuator: refusingActuator, now: () => nowMs, prefetchProbability: 0, readMaps: () => `7f00-7f01 r-xp 0 fd:01 5 ${join(dir, 'a.db')}\n` });
    await service.step(fixtureSample([fixtureProcess({ programId: '/usr/bin/fixture', startedAtMs: nowMs - 10_000 })], nowMs));
    nowMs += 61_000;
    await service.step(fixtureSample([], nowMs));
    expect(service.state().prefetch.recent).toEqual([]);
    await service.close();
  });
});
