import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { createHistory, classifyWriteError, validateTiers, type FlushInfo, type TierConfig } from '../../../src-main/store/history';
import type { Sample } from '../../../src-shared/domain';
import { makeProcess, makeSample } from './fixtures/samples';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1, 0, 0, 0); // aligned to every bucket width
const TIERS: TierConfig[] = [
  { bucketMs: 10_000, retentionMs: DAY },
  { bucketMs: MIN, retentionMs: 7 * DAY },
  { bucketMs: HOUR, retentionMs: 365 * DAY },
];

const dbs: Db[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function memDb(): Db {
  const db = openDb({ path: ':memory:' });
  dbs.push(db);
  return db;
}
function fileDb(): { db: Db; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'allot-history-'));
  dirs.push(dir);
  const path = join(dir, 'allot.db');
  const db = openDb({ path });
  dbs.push(db);
  return { db, path };
}
const count = (db: Db, sql: string, ...params: unknown[]) => Number((db.prepare(sql).raw().get(...params) as unknown[])[0]);

/** Program A has two processes (pid 1, 2); program B one process (pid 3) without programId. */
function sampleWith(at: number, cpuA: number, opts: { withA?: boolean; cpuB?: number; intervalMs?: number; systemCpu?: number } = {}): Sample {
  const processes = [
    ...(opts.withA === false
      ? []
      : [
          makeProcess({ pid: 1, name: 'a', programId: 'A', cpuPercent: cpuA - 1, rssBytes: 100, readBytesPerSec: 10 }),
          makeProcess({ pid: 2, name: 'a-helper', programId: 'A', cpuPercent: 1, rssBytes: 50 }),
        ]),
    makeProcess({ pid: 3, name: 'B', cpuPercent: opts.cpuB ?? 0, rssBytes: 300, voluntaryCtxSwitchesPerSec: 4, involuntaryCtxSwitchesPerSec: 1 }),
  ];
  return makeSample(at, processes, { cpuPercent: opts.systemCpu ?? cpuA, cores: [{ core: 0, cpuPercent: cpuA }, { core: 1, cpuPercent: 0 }] }, opts.intervalMs ?? 2000);
}

describe('history aggregation', () => {
  it('aggregates a 10 s bucket by hand', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 2000, tiers: TIERS, flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
    // bucket [T0, T0+10s): system cpu 10,20,30,40,50; program A present in the first three only
    history.append(sampleWith(T0 + 0, 5, { systemCpu: 10 }));
    history.append(sampleWith(T0 + 2000, 7, { systemCpu: 20 }));
    history.append(sampleWith(T0 + 4000, 9, { systemCpu: 30 }));
    history.append(sampleWith(T0 + 6000, 0, { withA: false, systemCpu: 40 }));
    history.append(sampleWith(T0 + 8000, 0, { withA: false, systemCpu: 50 }));
    history.append(sampleWith(T0 + 10_000, 3, { systemCpu: 100 })); // opens the next bucket
    expect(history.flush()).toEqual({ ok: true, rows: 1 + 2 + 2 }); // system, A, B, pids 1 and 2 (pid 3 is idle: no cpu, no io)

    const system = history.querySystem(T0, T0 + 10_000, 10_000);
    expect(system.tierMs).toBe(10_000);
    expect(system.rows).toHaveLength(1);
    const s = system.rows[0]!;
    expect(s.bucketMs).toBe(T0);
    expect(s.samples).toBe(5);
    expect(s.coveredMs).toBe(10_000);
    expect(s.cpuPercentMean).toBe(30);
    expect(s.cpuPercentMax).toBe(50);
    expect(s.coresCpuPercentMean).toEqual([(5 + 7 + 9) / 5, 0]);
    expect(s.memoryUsedBytesMean).toBe(2e9);
    expect(s.psiCpuSomeAvg10Mean).toBeNull(); // not measured is null, not 0
    expect(s.processCountMean).toBe((3 + 3 + 3 + 1 + 1) / 5);

    const a = history.queryProgram('A', T0, T0 + 10_000, 10_000).rows;
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ programId: 'A', samples: 3, runningMs: 6000, cpuPercentMean: 7, cpuPercentMax: 9, rssBytesMean: 150, rssBytesMax: 150, readBytesPerSecMean: 10, processCountMean: 2, processCountMax: 2, ctxSwitchesPerSecMean: null });
    const b = history.queryProgram('B', T0, T0 + 10_000, 10_000).rows;
    expect(b[0]).toMatchObject({ samples: 5, runningMs: 10_000, cpuPercentMean: 0, ctxSwitchesPerSecMean: 5, readBytesPerSecMean: null, processCountMean: 1 });
  });

  it('an idle process handed over as the identical object is counted, not re-added, and still averages right when it wakes up', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 2000, tiers: TIERS, flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
    const idle = makeProcess({ pid: 9, name: 'C', cpuPercent: 0, rssBytes: 100 });
    const tick = (at: number, p: typeof idle) => makeSample(at, [p], { cpuPercent: 1, cores: [{ core: 0, cpuPercent: 1 }] }, 2000);
    history.append(tick(T0, idle));
    history.append(tick(T0 + 2000, idle));
    history.append(tick(T0 + 4000, idle));
    history.append(tick(T0 + 6000, makeProcess({ pid: 9, name: 'C', cpuPercent: 40, rssBytes: 500 })));
    history.append(tick(T0 + 8000, idle));
    history.append(tick(T0 + 10_000, idle)); // opens the next bucket
    history.flush();
    const rows = history.queryProcesses(T0, T0 + 10_000, { pid: 9 });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ samples: 5, cpuPercentMean: 8, rssBytesMean: (100 * 4 + 500) / 5, rssBytesMax: 500 });
  });

  it('rolls finer buckets up into coarser tiers with sample-weighted means', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 1000, tiers: TIERS, flushEveryMs: 30_000, maintenanceEveryMs: Infinity });
    // irregular sampling over 2 h 5 min, so 10 s buckets hold different sample counts
    const raw: Sample[] = [];
    let t = T0;
    let i = 0;
    while (t < T0 + 2 * HOUR + 5 * MIN) {
      const cpu = (i * 7) % 23;
      const sample = sampleWith(t, cpu + 1, { withA: i % 5 !== 0, cpuB: i % 3, intervalMs: 1000 });
      raw.push(sample);
      history.append(sample);
      t += 1000 + ((i * 1337) % 4000);
      i += 1;
    }
    expect(history.flush().ok).toBe(true);

    const check = (tierMs: number, start: number) => {
      const inBucket = raw.filter((s) => s.at >= start && s.at < start + tierMs);
      const sys = history.querySystem(start, start + 1, tierMs).rows.find((r) => r.bucketMs === start);
      expect(sys, `system ${tierMs} @${start}`).toBeDefined();
      expect(sys!.tierMs).toBe(tierMs);
      expect(sys!.samples).toBe(inBucket.length);
      const cpu = inBucket.map((s) => s.system.cpuPercent);
      expect(sys!.cpuPercentMean).toBeCloseTo(cpu.reduce((x, y) => x + y, 0) / cpu.length, 9);
      expect(sys!.cpuPercentMax).toBe(Math.max(...cpu));
      const aTotals = inBucket
        .map((s) => s.processes.filter((p) => p.programId === 'A'))
        .filter((ps) => ps.length > 0)
        .map((ps) => ps.reduce((x, p) => x + p.cpuPercent, 0));
      const a = history.queryProgram('A', start, start + 1, tierMs).rows.find((r) => r.bucketMs === start);
      expect(a!.samples).toBe(aTotals.length);
      expect(a!.runningMs).toBe(aTotals.length * 1000);
      expect(a!.cpuPercentMean).toBeCloseTo(aTotals.reduce((x, y) => x + y, 0) / aTotals.length, 9);
      expect(a!.cpuPercentMax).toBe(Math.max(...aTotals));
    };
    check(10_000, T0 + 50_000);
    check(MIN, T0);
    check(MIN, T0 + 37 * MIN);
    check(HOUR, T0);
    check(HOUR, T0 + HOUR);
    // the hour still open is not rolled up yet
    expect(history.querySystem(T0 + 2 * HOUR, T0 + 2 * HOUR + 1, HOUR).rows).toHaveLength(0);
    // auto resolution picks a coarser tier for a long range
    expect(history.querySystem(T0, T0 + 2 * HOUR).tierMs).toBe(10_000);
    expect(history.querySystem(T0, T0 + 6 * HOUR).tierMs).toBe(MIN);
  });

  it('merges a bucket written partly before a restart', () => {
    const { db } = fileDb();
    const first = createHistory({ db, intervalMs: 2000, tiers: TIERS, flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
    first.append(sampleWith(T0, 11, { systemCpu: 10 }));
    first.append(sampleWith(T0 + 2000, 21, { systemCpu: 20 }));
    expect(first.close().ok).toBe(true);
    const second = createHistory({ db, intervalMs: 2000, tiers: TIERS, flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
    second.append(sampleWith(T0 + 4000, 31, { systemCpu: 60 }));
    expect(second.close().ok).toBe(true);
    const s = second.querySystem(T0, T0 + 1, 10_000).rows[0]!;
    expect(s.samples).toBe(3);
    expect(s.cpuPercentMean).toBeCloseTo(30, 9);
    expect(s.cpuPercentMax).toBe(60);
    expect(second.queryProgram('A', T0, T0 + 1, 10_000).rows[0]!.cpuPercentMean).toBeCloseTo(21, 9);
  });

  it('rolls up a minute that close() left partial once the rest of it arrives after a restart', () => {
    const { db } = fileDb();
    const first = createHistory({ db, intervalMs: 2000, tiers: TIERS, flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
    for (let t = T0; t < T0 + 24_000; t += 2000) first.append(sampleWith(t, 5));
    expect(first.close().ok).toBe(true);
    expect(first.querySystem(T0, T0 + 1, MIN).rows).toHaveLength(0); // the minute is not complete
    const second = createHistory({ db, intervalMs: 2000, tiers: TIERS, flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
    for (let t = T0 + 24_000; t <= T0 + 70_000; t += 2000) second.append(sampleWith(t, 5));
    expect(second.close().ok).toBe(true);
    const minute = second.querySystem(T0, T0 + 1, MIN).rows;
    expect(minute.map((r) => [r.bucketMs, r.samples])).toEqual([[T0, 30]]);
  });

  it('ranks programs and builds the hour-of-week running histogram', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 10_000, tiers: TIERS, flushEveryMs: 60_000, maintenanceEveryMs: Infinity });
    // 3 hours at 10 s; program A only runs in the second hour
    for (let t = T0; t < T0 + 3 * HOUR + 20_000; t += 10_000) {
      const inSecondHour = t >= T0 + HOUR && t < T0 + 2 * HOUR;
      history.append(sampleWith(t, 41, { withA: inSecondHour, cpuB: 2, intervalMs: 10_000 }));
    }
    history.flush();
    const top = history.topPrograms(T0, T0 + 3 * HOUR, 'cpu');
    expect(top.map((p) => p.programId)).toEqual(['A', 'B']);
    expect(top[0]!.cpuSeconds).toBeCloseTo(0.41 * 3600, 6); // 41 % of a core for one hour
    expect(top[0]!.runningMs).toBe(HOUR);
    expect(top[1]!.cpuSeconds).toBeCloseTo(0.02 * 3 * 3600, 6);
    expect(history.topPrograms(T0, T0 + 3 * HOUR, 'rss')[0]!.programId).toBe('B');
    expect(history.topPrograms(T0, T0 + 3 * HOUR, 'io', 1)).toEqual([expect.objectContaining({ programId: 'A', ioBytes: 10 * 3600 })]);

    const hours = history.hourOfWeek('A');
    expect(hours).toHaveLength(168);
    const d = new Date(T0 + HOUR);
    const index = d.getDay() * 24 + d.getHours();
    expect(hours[index]).toBe(HOUR);
    expect(hours.reduce((x, y) => x + y, 0)).toBe(HOUR);
  });

  it('counts recent running time from the finest tier before the hour tier is folded', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 10_000, tiers: TIERS, flushEveryMs: 10_000, maintenanceEveryMs: Infinity });
    // 20 minutes of program A: no hour bucket has closed yet.
    for (let t = T0; t < T0 + 20 * 60_000 + 20_000; t += 10_000) history.append(sampleWith(t, 41, { withA: true, cpuB: 2, intervalMs: 10_000 }));
    history.flush();
    const total = history.hourOfWeek('A').reduce((x, y) => x + y, 0);
    expect(total).toBeGreaterThanOrEqual(19 * 60_000);
    expect(total).toBeLessThanOrEqual(21 * 60_000);
  });
});

describe('history batching', () => {
  it('writes closed buckets in one batch per flush interval, not per sample', () => {
    const db = memDb();
    const flushes: FlushInfo[] = [];
    const history = createHistory({ db, intervalMs: 1000, tiers: TIERS, flushEveryMs: 30_000, maintenanceEveryMs: Infinity, onFlush: (f) => flushes.push(f) });
    for (let t = T0; t < T0 + 35_000; t += 1000) history.append(sampleWith(t, 5));
    // buckets 0, 10 s and 20 s closed at 10 s, 20 s, 30 s; batch started at 10 s, so not due before 40 s
    expect(count(db, 'SELECT count(*) FROM history_system')).toBe(0);
    expect(history.pendingRows()).toBe(3 * 5);
    // pending rows are already visible to queries
    expect(history.querySystem(T0, T0 + 30_000, 10_000).rows.map((r) => r.bucketMs)).toEqual([T0, T0 + 10_000, T0 + 20_000]);
    for (let t = T0 + 35_000; t <= T0 + 40_000; t += 1000) history.append(sampleWith(t, 5));
    expect(flushes).toHaveLength(1);
    expect(flushes[0]!.bucketStartsMs).toEqual([T0, T0 + 10_000, T0 + 20_000, T0 + 30_000]);
    expect(count(db, 'SELECT count(*) FROM history_system WHERE tier_ms = 10000')).toBe(4);
    expect(history.pendingRows()).toBe(0);
  });

  it('flushes early when the batch reaches maxBatchRows', () => {
    const db = memDb();
    const flushes: FlushInfo[] = [];
    const history = createHistory({ db, intervalMs: 1000, tiers: TIERS, flushEveryMs: Infinity, maxBatchRows: 10, maintenanceEveryMs: Infinity, onFlush: (f) => flushes.push(f) });
    for (let t = T0; t <= T0 + 20_000; t += 1000) history.append(sampleWith(t, 5));
    // 5 rows per bucket: the batch hits 10 rows when the second bucket closes
    expect(flushes.map((f) => f.bucketStartsMs)).toEqual([[T0, T0 + 10_000]]);
  });

  it('never throws from append, even for a broken sample', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 1000, tiers: TIERS, maintenanceEveryMs: Infinity });
    expect(() => history.append({ at: T0 } as unknown as Sample)).not.toThrow();
    expect(() => history.append(sampleWith(T0 + 1000, 5))).not.toThrow();
    expect(history.ring.latest()?.at).toBe(T0 + 1000);
  });
});

describe('history retention and size cap', () => {
  it('deletes buckets older than each tier keeps', () => {
    const db = memDb();
    const tiers: TierConfig[] = [
      { bucketMs: 10_000, retentionMs: HOUR },
      { bucketMs: MIN, retentionMs: 2 * HOUR },
      { bucketMs: HOUR, retentionMs: 365 * DAY },
    ];
    const history = createHistory({ db, intervalMs: 10_000, tiers, flushEveryMs: 60_000, maintenanceEveryMs: Infinity, processRows: 'all' });
    const end = T0 + 3 * HOUR;
    for (let t = T0; t <= end; t += 10_000) history.append(sampleWith(t, 5, { intervalMs: 10_000 }));
    history.flush();
    expect(count(db, 'SELECT min(bucket_ms) FROM history_system WHERE tier_ms = 10000')).toBe(T0);
    history.maintain(end);
    expect(count(db, 'SELECT min(bucket_ms) FROM history_system WHERE tier_ms = 10000')).toBe(end - HOUR);
    expect(count(db, 'SELECT min(bucket_ms) FROM history_program WHERE tier_ms = 10000')).toBe(end - HOUR);
    expect(count(db, 'SELECT min(bucket_ms) FROM history_process')).toBe(end - HOUR);
    expect(count(db, 'SELECT min(bucket_ms) FROM history_system WHERE tier_ms = 60000')).toBe(end - 2 * HOUR);
    expect(count(db, 'SELECT min(bucket_ms) FROM history_system WHERE tier_ms = 3600000')).toBe(T0);
  });

  it('keeps the file under the size cap by deleting the oldest finest rows first', () => {
    const { db } = fileDb();
    expect(Number((db.prepare('PRAGMA auto_vacuum').raw().get() as unknown[])[0])).toBe(0);
    const history = createHistory({ db, intervalMs: 10_000, tiers: TIERS, flushEveryMs: 10 * MIN, maintenanceEveryMs: Infinity, processRows: 'all' });
    expect(Number((db.prepare('PRAGMA auto_vacuum').raw().get() as unknown[])[0])).toBe(2); // switched to incremental
    const many = (at: number) =>
      makeSample(
        at,
        Array.from({ length: 30 }, (_, k) => makeProcess({ pid: 10 + k, name: `p${k}`, programId: `prog-${k}`, cpuPercent: 1 + k, rssBytes: 1e6 * k, cmdline: `/opt/p${k} --flag ${'x'.repeat(100)}` })),
        {},
        10_000,
      );
    const end = T0 + 2 * HOUR;
    for (let t = T0; t <= end; t += 10_000) history.append(many(t));
    expect(history.flush().ok).toBe(true);
    const before = history.sizeBytes();
    const oneMinRowsBefore = count(db, 'SELECT count(*) FROM history_program WHERE tier_ms = 60000');
    expect(before).toBeGreaterThan(1_000_000);
    const cap = Math.floor(before / 2);
    history.configure({ sizeCapBytes: cap });
    history.maintain(end);
    const after = history.sizeBytes();
    expect(after).toBeLessThanOrEqual(cap);
    expect(count(db, 'PRAGMA freelist_count')).toBe(0);
    // the oldest finest rows went, the newest finest rows and every coarse row stayed
    expect(count(db, 'SELECT min(bucket_ms) FROM history_system WHERE tier_ms = 10000')).toBeGreaterThan(T0);
    expect(count(db, 'SELECT max(bucket_ms) FROM history_system WHERE tier_ms = 10000')).toBe(end - 10_000);
    expect(count(db, 'SELECT count(*) FROM history_program WHERE tier_ms = 60000')).toBe(oneMinRowsBefore);
    expect(count(db, 'SELECT min(bucket_ms) FROM history_system WHERE tier_ms = 60000')).toBe(T0);
    expect((db.prepare('PRAGMA integrity_check').raw().get() as unknown[])[0]).toBe('ok');
  });
});

describe('history helpers', () => {
  it('refuses inconsistent tiers', () => {
    expect(validateTiers(TIERS)).toBeUndefined();
    expect(validateTiers([])).toMatch(/at least one/);
    expect(validateTiers([{ bucketMs: 10_000, retentionMs: DAY }, { bucketMs: 15_000, retentionMs: DAY }])).toMatch(/multiple/);
    expect(validateTiers([{ bucketMs: 10_000, retentionMs: 30_000 }, { bucketMs: MIN, retentionMs: DAY }])).toMatch(/two buckets/);
    expect(() => createHistory({ db: memDb(), intervalMs: 1000, tiers: [{ bucketMs: 10, retentionMs: 1 }] })).toThrow(/bucketMs/);
  });

  it('classifies write errors', () => {
    expect(classifyWriteError({ code: 'SQLITE_FULL', rawCode: 13, message: 'database or disk is full' }).reason).toBe('disk-full');
    expect(classifyWriteError(new Error('ENOSPC: no space left on device')).reason).toBe('disk-full');
    expect(classifyWriteError({ code: 'SQLITE_IOERR_WRITE', rawCode: 778, message: 'disk I/O error' }).reason).toBe('io-error');
    expect(classifyWriteError({ code: 'SQLITE_BUSY', message: 'database is locked' })).toEqual({ reason: 'write-error', message: 'SQLITE_BUSY: database is locked' });
  });
});
