// The write side (src-main/store/history/writer.ts): batches written once per flush interval or when
// big, roll-ups into coarser tiers with exact means, merging a bucket written partly before a
// restart, and the classification of write errors. Durability under kill -9 and a full disk is in
// writer.durability.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createHistory, classifyWriteError, type FlushInfo } from '../../../../src-main/store/history';
import type { Sample } from '../../../../src-shared/domain';
import { HOUR, MIN, T0, TIERS, closeDbs, count, fileDb, memDb, sampleWith } from '../fixtures/history';

afterEach(closeDbs);

describe('history roll-ups', () => {
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
});

describe('write errors', () => {
  it('classifies write errors', () => {
    expect(classifyWriteError({ code: 'SQLITE_FULL', rawCode: 13, message: 'database or disk is full' }).reason).toBe('disk-full');
    expect(classifyWriteError(new Error('ENOSPC: no space left on device')).reason).toBe('disk-full');
    expect(classifyWriteError({ code: 'SQLITE_IOERR_WRITE', rawCode: 778, message: 'disk I/O error' }).reason).toBe('io-error');
    expect(classifyWriteError({ code: 'SQLITE_BUSY', message: 'database is locked' })).toEqual({ reason: 'write-error', message: 'SQLITE_BUSY: database is locked' });
  });
});
