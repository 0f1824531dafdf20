// Retention and the size cap (src-main/store/history/retention.ts): what goes, and in which order.
import { afterEach, describe, expect, it } from 'vitest';
import { createHistory, type TierConfig } from '../../../../src-main/store/history';
import { pruneBefore } from '../../../../src-main/store/history/retention';
import { DAY, HOUR, MIN, T0, TIERS, closeDbs, count, fileDb, memDb, sampleWith } from '../fixtures/history';
import { makeProcess, makeSample } from '../fixtures/samples';

afterEach(closeDbs);

describe('one step of the size cap', () => {
  const tenSeconds: TierConfig = { bucketMs: 10_000, retentionMs: DAY };
  const minute: TierConfig = { bucketMs: MIN, retentionMs: 7 * DAY };

  it('deletes about a tenth of what is left, in whole buckets', () => {
    // a tenth of 10 h is 1 h: already a whole number of 10 s buckets
    expect(pruneBefore(tenSeconds, minute, T0, T0 + 10 * HOUR, Infinity)).toBe(T0 + HOUR);
    // a tenth of 1,005 s is 100.5 s: rounded up to 110 s
    expect(pruneBefore(tenSeconds, minute, T0, T0 + 1_005_000, Infinity)).toBe(T0 + 110_000);
  });

  it('deletes at least one bucket of the next tier (of its own on the coarsest), never past what may go', () => {
    expect(pruneBefore(tenSeconds, minute, T0, T0 + 20_000, Infinity)).toBe(T0 + MIN);
    expect(pruneBefore(minute, undefined, T0, T0 + 2 * MIN, Infinity)).toBe(T0 + MIN);
    expect(pruneBefore(tenSeconds, minute, T0, T0 + 10 * HOUR, T0 + 30_000)).toBe(T0 + 30_000);
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
