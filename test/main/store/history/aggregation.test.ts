// Aggregation: samples into buckets and buckets into coarser buckets. The pure functions of
// src-main/store/history/aggregation.ts on hand-built rows, then whole buckets through createHistory.
import { afterEach, describe, expect, it } from 'vitest';
import { createHistory } from '../../../../src-main/store/history';
import {
  addToOpen,
  bucketStart,
  closeOpen,
  mergeCores,
  mergeSystemRows,
  mergeValues,
  openBucket,
  programTicks,
  rollUpProgramRows,
  rollUpSystemRows,
  type AggregationOptions,
  type ProgramBucket,
  type SystemBucket,
} from '../../../../src-main/store/history/aggregation';
import { PROCESS_COLUMNS, type MetricColumn } from '../../../../src-main/store/history/metrics';
import { T0, TIERS, closeDbs, memDb, sampleWith } from '../fixtures/history';
import { makeProcess, makeSample } from '../fixtures/samples';

afterEach(closeDbs);

const column = (stat: MetricColumn['stat'], metricIndex = 0): MetricColumn => ({ column: `x_${stat}`, key: `x${stat}`, stat, metricIndex, unit: '', description: '' });
const MEAN_MAX_MIN = [column('mean'), column('max'), column('min')];
const sys = (bucketMs: number, samples: number, cpu: number, cores: number[] | null = null): SystemBucket => ({
  bucketMs,
  samples,
  coveredMs: samples * 1000,
  cores,
  values: [cpu, cpu, cpu],
});

describe('merging rows of one bucket', () => {
  it('weights means by sample count, keeps the extremes, skips nulls', () => {
    const rows = [
      { bucketMs: 0, samples: 1, coveredMs: 1000, values: [10, 10, 10] },
      { bucketMs: 0, samples: 3, coveredMs: 3000, values: [20, 5, null] },
      { bucketMs: 0, samples: 5, coveredMs: 5000, values: [null, null, null] },
    ];
    expect(mergeValues(rows, MEAN_MAX_MIN)).toEqual([(10 + 3 * 20) / 4, 10, 10]);
    expect(mergeValues([rows[2]!], MEAN_MAX_MIN)).toEqual([null, null, null]);
  });

  it('merges per-core means by sample count, ignoring rows without cores', () => {
    expect(mergeCores([sys(0, 1, 0, [10, 0]), sys(0, 3, 0, [30, 4]), sys(0, 9, 0)])).toEqual([25, 3]);
    expect(mergeCores([sys(0, 1, 0), sys(0, 2, 0)])).toBeNull();
  });

  it('sums samples and covered time of system rows', () => {
    const merged = mergeSystemRows([sys(0, 2, 10), sys(0, 6, 50)], 0);
    expect(merged).toMatchObject({ bucketMs: 0, samples: 8, coveredMs: 8000, cores: null });
    expect(merged.values[0]).toBe((2 * 10 + 6 * 50) / 8);
  });
});

describe('rolling rows up into a coarser tier', () => {
  it('folds 10 s system rows into minutes, in the order their minutes first appear', () => {
    const rows = [sys(T0, 5, 10), sys(T0 + 10_000, 5, 30), sys(T0 + 60_000, 2, 7), sys(T0 + 50_000, 10, 40)];
    const minutes = rollUpSystemRows(rows, 60_000);
    expect(minutes.map((r) => [r.bucketMs, r.samples])).toEqual([[T0, 20], [T0 + 60_000, 2]]);
    // system columns start cpu_percent_mean, cpu_percent_max
    expect(minutes[0]!.values.slice(0, 2)).toEqual([(50 + 150 + 400) / 20, 40]);
  });

  it('keeps one program row per minute and program', () => {
    const prog = (bucketMs: number, programId: string, samples: number): ProgramBucket => ({ bucketMs, programId, samples, coveredMs: samples * 1000, values: [] });
    const rows = [prog(T0, 'A', 1), prog(T0, 'B', 2), prog(T0 + 10_000, 'A', 3), prog(T0 + 70_000, 'A', 4)];
    expect(rollUpProgramRows(rows, 60_000).map((r) => [r.bucketMs, r.programId, r.samples, r.coveredMs])).toEqual([
      [T0, 'A', 4, 4000],
      [T0, 'B', 2, 2000],
      [T0 + 60_000, 'A', 4, 4000],
    ]);
  });

  it('finds the start of the bucket a time falls in', () => {
    expect(bucketStart(T0 + 59_999, 60_000)).toBe(T0);
    expect(bucketStart(T0 + 60_000, 60_000)).toBe(T0 + 60_000);
  });
});

describe('one sample into the open bucket', () => {
  it('sums a program over its processes and leaves unreported metrics out', () => {
    const ticks = programTicks(sampleWith(T0, 9));
    expect(ticks.get('A')).toEqual({ cpuPercent: 9, rssBytes: 150, processCount: 2, threadCount: 2, readBytesPerSec: 10 });
    expect(ticks.get('B')).toMatchObject({ cpuPercent: 0, ctxSwitchesPerSec: 5 });
    expect(ticks.get('B')!.swapBytes).toBeUndefined();
  });

  const idle = makeProcess({ pid: 9, name: 'C', cpuPercent: 0, rssBytes: 100 });
  const tick = (at: number, p: typeof idle) => makeSample(at, [p, makeProcess({ pid: 8, name: 'D', cpuPercent: 0 })], { cpuPercent: 1, cores: [{ core: 0, cpuPercent: 1 }] }, 2000);
  const run = (options: AggregationOptions) => {
    const bucket = openBucket(T0);
    addToOpen(bucket, tick(T0, idle), options);
    addToOpen(bucket, tick(T0 + 2000, idle), options);
    addToOpen(bucket, tick(T0 + 4000, makeProcess({ pid: 9, name: 'C', cpuPercent: 40, rssBytes: 500 })), options);
    addToOpen(bucket, tick(T0 + 6000, idle), options);
    return closeOpen(bucket, options);
  };

  it('an idle process whose repeats were counted, not added, averages the same as with every row kept once it wakes', () => {
    const active = run({ perCore: true, processRows: 'active' });
    const all = run({ perCore: true, processRows: 'all' });
    expect(active.processes.map((p) => p.pid)).toEqual([9]); // pid 8 never did anything
    expect(all.processes.map((p) => p.pid)).toEqual([9, 8]);
    expect(active.processes[0]).toEqual(all.processes[0]);
    const cpu = PROCESS_COLUMNS.findIndex((c) => c.column === 'cpu_percent_mean');
    expect(active.processes[0]).toMatchObject({ samples: 4, coveredMs: 8000 });
    expect(active.processes[0]!.values[cpu]).toBe(10);
    expect(active.rows).toBe(1 + 2 + 1);
  });

  it('keeps no process rows when they are off, and no cores without perCore', () => {
    const off = run({ perCore: false, processRows: 'off' });
    expect(off.processes).toEqual([]);
    expect(off.system.cores).toBeNull();
    expect(off.rows).toBe(1 + 2);
    expect(run({ perCore: true, processRows: 'off' }).system.cores).toEqual([1]);
  });
});

describe('buckets through the history', () => {
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
});
