// The read side (src-main/store/history/queries.ts): rows out, pending rows merged in, top programs and
// the hour-of-week histogram.
import { afterEach, describe, expect, it } from 'vitest';
import { createHistory } from '../../../../src-main/store/history';
import type { ProgramBucket, SystemBucket } from '../../../../src-main/store/history/aggregation';
import { PROGRAM_COLUMNS, SYSTEM_COLUMNS } from '../../../../src-main/store/history/metrics';
import { mergeByKey, programRowOut, systemRowOut } from '../../../../src-main/store/history/queries';
import { HOUR, T0, TIERS, closeDbs, memDb, sampleWith } from '../fixtures/history';

afterEach(closeDbs);

describe('rows out', () => {
  it('names each value by its camelCase column and reports a program\'s covered time as runningMs', () => {
    const values = SYSTEM_COLUMNS.map((_, j) => (j === 0 ? 42 : null));
    const system: SystemBucket = { bucketMs: T0, samples: 5, coveredMs: 10_000, cores: [1, 2], values };
    expect(systemRowOut(10_000, system)).toMatchObject({ tierMs: 10_000, bucketMs: T0, samples: 5, coveredMs: 10_000, coresCpuPercentMean: [1, 2], cpuPercentMean: 42, cpuPercentMax: null });
    const program: ProgramBucket = { bucketMs: T0, programId: 'A', samples: 3, coveredMs: 6000, values: PROGRAM_COLUMNS.map(() => 7) };
    const row = programRowOut(60_000, program);
    expect(row).toMatchObject({ tierMs: 60_000, programId: 'A', runningMs: 6000, threadCountMax: 7 });
    expect(row).not.toHaveProperty('coveredMs');
  });

  it('merges pending rows into stored ones by key and sorts by bucket', () => {
    type R = { bucketMs: number; samples: number; coveredMs: number; values: Array<number | null> };
    const r = (bucketMs: number, samples: number): R => ({ bucketMs, samples, coveredMs: 0, values: [] });
    const stored = [r(10, 1), r(20, 1)];
    expect(mergeByKey(stored, [], (x) => String(x.bucketMs), (a) => a)).toBe(stored);
    const merged = mergeByKey(stored, [r(5, 4), r(20, 2)], (x) => String(x.bucketMs), (a, b) => ({ ...b, samples: a.samples + b.samples }));
    expect(merged.map((x) => [x.bucketMs, x.samples])).toEqual([[5, 4], [10, 1], [20, 3]]);
  });
});

describe('history queries', () => {
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
