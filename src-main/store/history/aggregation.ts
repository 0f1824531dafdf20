// Aggregation: samples into buckets, and buckets into coarser buckets. Pure: no database, no clock.
//
// - Every Sample is added to the open bucket of the finest tier: one system row, one row per program
//   (processes grouped by `programId`, else by `name`) and, optionally, one row per process
//   (pid, startTime, programId). Closing the bucket turns it into a PendingGroup of rows.
// - Rows of one bucket merge exactly (roll-ups into coarser tiers, a bucket written partly before a
//   restart, pending rows shown beside stored ones): means are weighted by sample count, so a merged
//   mean equals the mean over the raw samples; max and min are the extremes.
//
// Semantics: a program's mean is over the samples in which it had at least one process (its load
// while running); `coveredMs` (stored as running_ms) is how long that was. Per-program values in one
// sample are sums over the program's processes. Optional metrics that no process reported are null.
import type { ProcessSample, Sample, SystemSample } from '../../../src-shared/domain';
import type { ProcessRows } from '../../../src-shared/settings';
import { processKey, programKey } from '../../../src-shared/identity';
import {
  PROCESS_COLUMNS,
  PROCESS_METRICS,
  PROGRAM_COLUMNS,
  PROGRAM_METRICS,
  SYSTEM_COLUMNS,
  SYSTEM_METRICS,
  type MetricColumn,
  type MetricSpec,
  type ProgramTick,
} from './metrics';
import type { ProcessIdentity } from './types';

const SYSTEM_SPECS = SYSTEM_METRICS as unknown as readonly MetricSpec<SystemSample>[];
const PROGRAM_SPECS = PROGRAM_METRICS as unknown as readonly MetricSpec<ProgramTick>[];
const PROCESS_SPECS = PROCESS_METRICS as unknown as readonly MetricSpec<ProcessSample>[];

export class MetricAcc {
  n = 0;
  sum = 0;
  max = Number.NEGATIVE_INFINITY;
  min = Number.POSITIVE_INFINITY;
  add(value: number, weight = 1): void {
    this.n += weight;
    this.sum += value * weight;
  }
  bound(value: number): void {
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
  }
}

export interface BucketAcc {
  samples: number;
  coveredMs: number;
  metrics: MetricAcc[];
}

export function newBucketAcc(metricCount: number): BucketAcc {
  return { samples: 0, coveredMs: 0, metrics: Array.from({ length: metricCount }, () => new MetricAcc()) };
}

/** Add one input (a sample's system part, a program's tick, a process) covering `intervalMs`; undefined and non-finite values are skipped. */
export function accumulate<I>(acc: BucketAcc, specs: readonly MetricSpec<I>[], input: I, intervalMs: number): void {
  acc.samples += 1;
  acc.coveredMs += intervalMs;
  for (let i = 0; i < specs.length; i++) {
    const value = (specs[i] as MetricSpec<I>).read(input);
    if (value === undefined || !Number.isFinite(value)) continue;
    const metric = acc.metrics[i] as MetricAcc;
    metric.add(value);
    metric.bound(value);
  }
}

/** The bucket's value per column (mean, max or min of its metric); null for a metric never seen. */
export function valuesOf(acc: BucketAcc, columns: readonly MetricColumn[]): Array<number | null> {
  return columns.map((c) => {
    const m = acc.metrics[c.metricIndex] as MetricAcc;
    if (m.n === 0) return null;
    return c.stat === 'mean' ? m.sum / m.n : c.stat === 'max' ? m.max : m.min;
  });
}

/** One bucket row in memory: metric values in column order. */
export interface Row {
  bucketMs: number;
  samples: number;
  coveredMs: number;
  values: Array<number | null>;
}
export interface SystemBucket extends Row {
  cores: number[] | null;
}
export interface ProgramBucket extends Row {
  programId: string;
}
export interface ProcessBucket extends Row, ProcessIdentity {}

/** Merge rows of one bucket (rollup, or a partial bucket written before a restart): exact for means. */
export function mergeValues(rows: readonly Row[], columns: readonly MetricColumn[]): Array<number | null> {
  return columns.map((c, j) => {
    let weight = 0;
    let sum = 0;
    let extreme: number | null = null;
    for (const row of rows) {
      const v = row.values[j];
      if (v === null || v === undefined) continue;
      if (c.stat === 'mean') {
        sum += v * row.samples;
        weight += row.samples;
      } else if (extreme === null || (c.stat === 'max' ? v > extreme : v < extreme)) extreme = v;
    }
    if (c.stat === 'mean') return weight > 0 ? sum / weight : null;
    return extreme;
  });
}

/** Per-core means weighted by sample count; null when no row has cores. */
export function mergeCores(rows: readonly SystemBucket[]): number[] | null {
  const sums: number[] = [];
  const weights: number[] = [];
  let any = false;
  for (const row of rows) {
    if (!row.cores) continue;
    any = true;
    row.cores.forEach((v, i) => {
      sums[i] = (sums[i] ?? 0) + v * row.samples;
      weights[i] = (weights[i] ?? 0) + row.samples;
    });
  }
  if (!any) return null;
  return sums.map((s, i) => (weights[i] ? s / (weights[i] as number) : 0));
}

/** Samples and covered time summed, values merged: the statistics of rows of one bucket taken together. */
export function mergeRowStats(rows: readonly Row[], columns: readonly MetricColumn[]): Pick<Row, 'samples' | 'coveredMs' | 'values'> {
  return {
    samples: rows.reduce((n, r) => n + r.samples, 0),
    coveredMs: rows.reduce((n, r) => n + r.coveredMs, 0),
    values: mergeValues(rows, columns),
  };
}

export function mergeSystemRows(rows: readonly SystemBucket[], bucketMs: number): SystemBucket {
  return { bucketMs, ...mergeRowStats(rows, SYSTEM_COLUMNS), cores: mergeCores(rows) };
}

/** Rows of one program in one bucket, merged (the program id is the first row's). */
export function mergeProgramRows(rows: readonly ProgramBucket[], bucketMs: number): ProgramBucket {
  return { bucketMs, programId: (rows[0] as ProgramBucket).programId, ...mergeRowStats(rows, PROGRAM_COLUMNS) };
}

export const bucketStart = (atMs: number, bucketMs: number) => Math.floor(atMs / bucketMs) * bucketMs;

function groupBy<R, K>(rows: Iterable<R>, keyOf: (row: R) => K): Map<K, R[]> {
  const groups = new Map<K, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Finer system rows folded into buckets `tierMs` wide, in the order their buckets first appear. */
export function rollUpSystemRows(rows: Iterable<SystemBucket>, tierMs: number): SystemBucket[] {
  return [...groupBy(rows, (r) => bucketStart(r.bucketMs, tierMs))].map(([b, group]) => mergeSystemRows(group, b));
}

/** Finer program rows folded into buckets `tierMs` wide, one row per (bucket, program). */
export function rollUpProgramRows(rows: Iterable<ProgramBucket>, tierMs: number): ProgramBucket[] {
  const groups = groupBy(rows, (r) => `${bucketStart(r.bucketMs, tierMs)}\u0000${r.programId}`);
  return [...groups.values()].map((group) => mergeProgramRows(group, bucketStart((group[0] as ProgramBucket).bucketMs, tierMs)));
}

/** What each program contributed to one sample: sums over its processes. */
export function programTicks(sample: Sample): Map<string, ProgramTick> {
  const ticks = new Map<string, ProgramTick>();
  // Per process and tick: no closures or arrays (this runs over every process every tick).
  const add = (t: ProgramTick, field: Exclude<keyof ProgramTick, 'cpuPercent' | 'rssBytes' | 'processCount' | 'threadCount'>, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) t[field] = (t[field] ?? 0) + v;
  };
  const sum2 = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : a + b);
  for (let i = 0; i < sample.processes.length; i++) {
    const p = sample.processes[i]!;
    const key = programKey(p);
    let t = ticks.get(key);
    // Every field from the start (undefined: no value yet), so all programs share one object shape.
    if (!t) {
      t = { cpuPercent: 0, rssBytes: 0, processCount: 0, threadCount: 0, swapBytes: undefined, readBytesPerSec: undefined, writeBytesPerSec: undefined, ctxSwitchesPerSec: undefined, syscallsPerSec: undefined, majorFaultsPerSec: undefined, runQueueWaitMsPerSec: undefined };
      ticks.set(key, t);
    }
    t.cpuPercent += p.cpuPercent;
    t.rssBytes += p.rssBytes;
    t.processCount += 1;
    t.threadCount += p.threads;
    add(t, 'swapBytes', p.swapBytes);
    add(t, 'readBytesPerSec', p.readBytesPerSec);
    add(t, 'writeBytesPerSec', p.writeBytesPerSec);
    add(t, 'ctxSwitchesPerSec', sum2(p.voluntaryCtxSwitchesPerSec, p.involuntaryCtxSwitchesPerSec));
    add(t, 'syscallsPerSec', sum2(p.readSyscallsPerSec, p.writeSyscallsPerSec));
    add(t, 'majorFaultsPerSec', p.majorFaultsPerSec);
    add(t, 'runQueueWaitMsPerSec', p.runQueueWaitMsPerSec);
  }
  return ticks;
}

/** The finest-tier bucket samples are being added to. */
export interface OpenBucket {
  startMs: number;
  system: BucketAcc;
  coreSums: number[];
  coreCounts: number[];
  programs: Map<string, BucketAcc>;
  processes: Map<string, { acc: BucketAcc; process: ProcessSample; programId: string; active: boolean; idleRepeats: number; idleCoveredMs: number }>;
}

/** A closed finest-tier bucket's rows, waiting to be written. */
export interface PendingGroup {
  bucketMs: number;
  system: SystemBucket;
  programs: ProgramBucket[];
  processes: ProcessBucket[];
  rows: number;
}

export interface AggregationOptions {
  /** Keep per-core CPU means. */
  perCore: boolean;
  /** Per-process rows: 'active' (CPU or I/O seen in the bucket), 'all', 'off'. */
  processRows: ProcessRows;
}

export function openBucket(startMs: number): OpenBucket {
  return {
    startMs,
    system: newBucketAcc(SYSTEM_METRICS.length),
    coreSums: [],
    coreCounts: [],
    programs: new Map(),
    processes: new Map(),
  };
}

export function addToOpen(bucket: OpenBucket, sample: Sample, options: AggregationOptions): void {
  const intervalMs = Number.isFinite(sample.intervalMs) ? sample.intervalMs : 0;
  accumulate(bucket.system, SYSTEM_SPECS, sample.system, intervalMs);
  if (options.perCore) {
    for (const core of sample.system.cores) {
      if (!Number.isInteger(core.core) || core.core < 0 || core.core >= 4096) continue;
      bucket.coreSums[core.core] = (bucket.coreSums[core.core] ?? 0) + core.cpuPercent;
      bucket.coreCounts[core.core] = (bucket.coreCounts[core.core] ?? 0) + 1;
    }
  }
  for (const [programId, tick] of programTicks(sample)) {
    let acc = bucket.programs.get(programId);
    if (!acc) bucket.programs.set(programId, (acc = newBucketAcc(PROGRAM_METRICS.length)));
    accumulate(acc, PROGRAM_SPECS, tick, intervalMs);
  }
  if (options.processRows === 'off') return;
  for (let i = 0; i < sample.processes.length; i++) {
    const p = sample.processes[i]!;
    const programId = programKey(p);
    // One row per process and program: keyed by the process (a memoized key, no new string per
    // tick), and by process and program once it exec()s into another program within the bucket.
    let key = processKey(p);
    let entry = bucket.processes.get(key);
    if (entry && entry.programId !== programId) {
      key = `${key}:${programId}`;
      entry = bucket.processes.get(key);
    }
    if (!entry) bucket.processes.set(key, (entry = { acc: newBucketAcc(PROCESS_METRICS.length), process: p, programId, active: false, idleRepeats: 0, idleCoveredMs: 0 }));
    // Work in proportion to change: an idle process that is the identical object as last tick adds
    // the same values again. While its row would not be written ('active' rows only), count the
    // repeats instead of adding them; should it become active within the bucket, they are added then.
    if (p === entry.process && !entry.active && options.processRows === 'active' && entry.acc.samples > 0) {
      entry.idleRepeats += 1;
      entry.idleCoveredMs += intervalMs;
      continue;
    }
    if (entry.idleRepeats > 0) {
      const perRepeatMs = entry.idleCoveredMs / entry.idleRepeats;
      for (let r = 0; r < entry.idleRepeats; r++) accumulate(entry.acc, PROCESS_SPECS, entry.process, perRepeatMs);
      entry.idleRepeats = 0;
      entry.idleCoveredMs = 0;
    }
    entry.process = p;
    if (p.cpuPercent > 0 || (p.readBytesPerSec ?? 0) > 0 || (p.writeBytesPerSec ?? 0) > 0) entry.active = true;
    accumulate(entry.acc, PROCESS_SPECS, p, intervalMs);
  }
}

export function closeOpen(bucket: OpenBucket, options: AggregationOptions): PendingGroup {
  const cores = options.perCore && bucket.coreCounts.length > 0
    ? bucket.coreSums.map((s, i) => (bucket.coreCounts[i] ? s / (bucket.coreCounts[i] as number) : 0))
    : null;
  const system: SystemBucket = {
    bucketMs: bucket.startMs,
    samples: bucket.system.samples,
    coveredMs: bucket.system.coveredMs,
    cores,
    values: valuesOf(bucket.system, SYSTEM_COLUMNS),
  };
  const programs: ProgramBucket[] = [];
  for (const [programId, acc] of bucket.programs) {
    programs.push({ bucketMs: bucket.startMs, programId, samples: acc.samples, coveredMs: acc.coveredMs, values: valuesOf(acc, PROGRAM_COLUMNS) });
  }
  const processes: ProcessBucket[] = [];
  for (const entry of bucket.processes.values()) {
    if (options.processRows === 'active' && !entry.active) continue;
    for (let i = 0; i < entry.idleRepeats; i++) accumulate(entry.acc, PROCESS_SPECS, entry.process, entry.idleCoveredMs / entry.idleRepeats);
    const p = entry.process;
    processes.push({
      bucketMs: bucket.startMs,
      pid: p.pid,
      startTime: p.startTime,
      programId: entry.programId,
      name: p.name,
      cmdline: p.cmdline,
      user: p.user,
      exe: p.exe ?? null,
      samples: entry.acc.samples,
      coveredMs: entry.acc.coveredMs,
      values: valuesOf(entry.acc, PROCESS_COLUMNS),
    });
  }
  return { bucketMs: bucket.startMs, system, programs, processes, rows: 1 + programs.length + processes.length };
}
