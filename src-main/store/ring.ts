// In-memory ring of the most recent Samples at full rate (default: the last 10 minutes).
// A fixed-size circular buffer: append is O(1) and never allocates once full; range queries by
// time are a binary search over the logical order. Charts read plain arrays from the series helpers.
import type { Sample, SystemSample } from '../../src-shared/domain';
import { programKey } from '../../src-shared/identity';

export const DEFAULT_RING_WINDOW_MS = 10 * 60 * 1000;

/** Entries needed to hold `windowMs` of samples taken every `intervalMs` (0.25 s over 10 min -> 2400). */
export function ringCapacityFor(intervalMs: number, windowMs: number = DEFAULT_RING_WINDOW_MS): number {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`windowMs must be > 0, got ${windowMs}`);
  return Math.max(1, Math.ceil(windowMs / intervalMs));
}

/** One series for a chart: parallel arrays, `atMs[i]` is when `values[i]` was measured. */
export interface Series {
  atMs: number[];
  values: number[];
}

export type ProgramMetric = 'cpuPercent' | 'rssBytes';

/** The program a process belongs to: the collector's `programId`, or its name when absent. */
export const programKeyOf = programKey;

export class SampleRing {
  private buffer: Array<Sample | undefined>;
  /** Index of the oldest entry. */
  private head = 0;
  private length = 0;
  readonly windowMs: number;

  constructor(options: { intervalMs: number; windowMs?: number }) {
    this.windowMs = options.windowMs ?? DEFAULT_RING_WINDOW_MS;
    this.buffer = new Array<Sample | undefined>(ringCapacityFor(options.intervalMs, this.windowMs));
  }

  get capacity(): number {
    return this.buffer.length;
  }

  get size(): number {
    return this.length;
  }

  /**
   * O(1). Samples must arrive in time order; a sample older than the newest one means the clock
   * went backwards, and the ring starts over rather than hold an unsorted window.
   */
  append(sample: Sample): void {
    const newest = this.latest();
    if (newest !== undefined && sample.at < newest.at) this.clear();
    const capacity = this.buffer.length;
    if (this.length < capacity) {
      this.buffer[(this.head + this.length) % capacity] = sample;
      this.length += 1;
    } else {
      this.buffer[this.head] = sample;
      this.head = (this.head + 1) % capacity;
    }
  }

  clear(): void {
    this.buffer.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  /** Change the capacity for a new sampling interval, keeping the most recent samples that fit. */
  resize(intervalMs: number): void {
    const capacity = ringCapacityFor(intervalMs, this.windowMs);
    if (capacity === this.buffer.length) return;
    const kept = this.toArray().slice(-capacity);
    this.buffer = new Array<Sample | undefined>(capacity);
    kept.forEach((sample, i) => (this.buffer[i] = sample));
    this.head = 0;
    this.length = kept.length;
  }

  /** i-th entry in time order (0 = oldest). */
  at(index: number): Sample | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.buffer[(this.head + index) % this.buffer.length];
  }

  latest(): Sample | undefined {
    return this.at(this.length - 1);
  }

  oldest(): Sample | undefined {
    return this.at(0);
  }

  toArray(): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i) as Sample);
    return out;
  }

  /** Samples with fromMs <= at <= toMs, oldest first. O(log n + k). */
  range(fromMs: number, toMs: number = Number.POSITIVE_INFINITY): Sample[] {
    const out: Sample[] = [];
    if (toMs < fromMs) return out;
    for (let i = this.lowerBound(fromMs); i < this.length; i++) {
      const sample = this.at(i) as Sample;
      if (sample.at > toMs) break;
      out.push(sample);
    }
    return out;
  }

  /** Any system-wide number, e.g. `(s) => s.memory.usedBytes`; samples where it is undefined are skipped. */
  systemSeries(pick: (system: SystemSample) => number | undefined, fromMs = 0, toMs?: number): Series {
    const series: Series = { atMs: [], values: [] };
    for (const sample of this.range(fromMs, toMs)) {
      const value = pick(sample.system);
      if (value === undefined) continue;
      series.atMs.push(sample.at);
      series.values.push(value);
    }
    return series;
  }

  systemCpuSeries(fromMs = 0, toMs?: number): Series {
    return this.systemSeries((system) => system.cpuPercent, fromMs, toMs);
  }

  /** Per-core CPU %, one series per core index seen in the window. */
  coreCpuSeries(fromMs = 0, toMs?: number): Map<number, Series> {
    const byCore = new Map<number, Series>();
    for (const sample of this.range(fromMs, toMs)) {
      for (const core of sample.system.cores) {
        let series = byCore.get(core.core);
        if (!series) byCore.set(core.core, (series = { atMs: [], values: [] }));
        series.atMs.push(sample.at);
        series.values.push(core.cpuPercent);
      }
    }
    return byCore;
  }

  /**
   * Sum of one metric over a program's processes in each sample. A sample in which the program
   * had no process yields 0, so the series has one point per sample and lines up with the others.
   */
  programSeries(programId: string, metric: ProgramMetric, fromMs = 0, toMs?: number): Series {
    const series: Series = { atMs: [], values: [] };
    for (const sample of this.range(fromMs, toMs)) {
      let total = 0;
      for (const process of sample.processes) if (programKeyOf(process) === programId) total += process[metric];
      series.atMs.push(sample.at);
      series.values.push(total);
    }
    return series;
  }

  /** One process (pid + startTime) over time; only samples in which it existed. */
  processSeries(
    identity: { pid: number; startTime: number },
    metric: ProgramMetric,
    fromMs = 0,
    toMs?: number,
  ): Series {
    const series: Series = { atMs: [], values: [] };
    for (const sample of this.range(fromMs, toMs)) {
      const process = sample.processes.find((p) => p.pid === identity.pid && p.startTime === identity.startTime);
      if (!process) continue;
      series.atMs.push(sample.at);
      series.values.push(process[metric]);
    }
    return series;
  }

  /** First logical index whose sample has at >= t. */
  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.at(mid) as Sample).at < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
