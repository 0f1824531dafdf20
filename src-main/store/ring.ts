// In-memory history of the most recent ticks at full rate (default: the last 10 minutes), kept as
// numbers, not as Samples: a process list of 1,000 objects per tick held for 600 ticks was hundreds
// of MB. Per slot the ring keeps the tick's time and its system part (one small object), and per
// program two columns (CPU %, RSS bytes) in typed arrays indexed by slot. A fixed-size circular
// buffer: append is O(programs in the tick) and allocates only when a new program appears; a
// program absent for a whole window is dropped, so memory does not grow with uptime. Range queries
// by time are a binary search over the logical order. Charts read plain arrays from the series helpers.
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

/** One slot of the ring: when, and the system-wide part of that tick. */
export interface RingEntry {
  at: number;
  system: SystemSample;
}

interface ProgramColumns {
  cpuPercent: Float64Array;
  rssBytes: Float64Array;
  /** Sequence number of the last append that saw the program (dropped a window later). */
  lastSeq: number;
}

export class SampleRing {
  private atMs: Float64Array;
  private systems: Array<SystemSample | undefined>;
  private programs = new Map<string, ProgramColumns>();
  /** Index of the oldest entry. */
  private head = 0;
  private length = 0;
  private seq = 0;
  readonly windowMs: number;

  constructor(options: { intervalMs: number; windowMs?: number }) {
    this.windowMs = options.windowMs ?? DEFAULT_RING_WINDOW_MS;
    const capacity = ringCapacityFor(options.intervalMs, this.windowMs);
    this.atMs = new Float64Array(capacity);
    this.systems = new Array<SystemSample | undefined>(capacity);
  }

  get capacity(): number {
    return this.atMs.length;
  }

  get size(): number {
    return this.length;
  }

  /** Programs with a column (seen within the last window). */
  get programCount(): number {
    return this.programs.size;
  }

  /**
   * Samples must arrive in time order; a sample older than the newest one means the clock went
   * backwards, and the ring starts over rather than hold an unsorted window.
   */
  append(sample: Sample): void {
    if (this.length > 0 && sample.at < this.atMs[this.slot(this.length - 1)]!) this.clear();
    const capacity = this.capacity;
    let slot: number;
    if (this.length < capacity) {
      slot = (this.head + this.length) % capacity;
      this.length += 1;
    } else {
      slot = this.head;
      this.head = (this.head + 1) % capacity;
    }
    this.seq += 1;
    this.atMs[slot] = sample.at;
    this.systems[slot] = sample.system;
    for (const columns of this.programs.values()) {
      columns.cpuPercent[slot] = 0;
      columns.rssBytes[slot] = 0;
    }
    for (const process of sample.processes) {
      const id = programKey(process);
      let columns = this.programs.get(id);
      if (!columns) {
        columns = { cpuPercent: new Float64Array(capacity), rssBytes: new Float64Array(capacity), lastSeq: 0 };
        this.programs.set(id, columns);
      }
      columns.cpuPercent[slot] = columns.cpuPercent[slot]! + process.cpuPercent;
      columns.rssBytes[slot] = columns.rssBytes[slot]! + process.rssBytes;
      columns.lastSeq = this.seq;
    }
    for (const [id, columns] of this.programs) if (this.seq - columns.lastSeq >= capacity) this.programs.delete(id);
  }

  clear(): void {
    this.systems.fill(undefined);
    this.programs.clear();
    this.head = 0;
    this.length = 0;
  }

  /** Change the capacity for a new sampling interval, keeping the most recent entries that fit. */
  resize(intervalMs: number): void {
    const capacity = ringCapacityFor(intervalMs, this.windowMs);
    if (capacity === this.capacity) return;
    const keep = Math.min(this.length, capacity);
    const first = this.length - keep;
    const slots = Array.from({ length: keep }, (_, i) => this.slot(first + i));
    const atMs = new Float64Array(capacity);
    const systems = new Array<SystemSample | undefined>(capacity);
    slots.forEach((slot, i) => {
      atMs[i] = this.atMs[slot]!;
      systems[i] = this.systems[slot];
    });
    for (const columns of this.programs.values()) {
      const cpu = new Float64Array(capacity);
      const rss = new Float64Array(capacity);
      slots.forEach((slot, i) => {
        cpu[i] = columns.cpuPercent[slot]!;
        rss[i] = columns.rssBytes[slot]!;
      });
      columns.cpuPercent = cpu;
      columns.rssBytes = rss;
    }
    this.atMs = atMs;
    this.systems = systems;
    this.head = 0;
    this.length = keep;
  }

  /** i-th entry in time order (0 = oldest). */
  at(index: number): RingEntry | undefined {
    if (index < 0 || index >= this.length) return undefined;
    const slot = this.slot(index);
    return { at: this.atMs[slot]!, system: this.systems[slot]! };
  }

  latest(): RingEntry | undefined {
    return this.at(this.length - 1);
  }

  oldest(): RingEntry | undefined {
    return this.at(0);
  }

  toArray(): RingEntry[] {
    return this.range(Number.NEGATIVE_INFINITY);
  }

  /** Entries with fromMs <= at <= toMs, oldest first. O(log n + k). */
  range(fromMs: number, toMs: number = Number.POSITIVE_INFINITY): RingEntry[] {
    const out: RingEntry[] = [];
    for (const index of this.indexes(fromMs, toMs)) out.push(this.at(index)!);
    return out;
  }

  /** Any system-wide number, e.g. `(s) => s.memory.usedBytes`; entries where it is undefined are skipped. */
  systemSeries(pick: (system: SystemSample) => number | undefined, fromMs = 0, toMs?: number): Series {
    const series: Series = { atMs: [], values: [] };
    for (const index of this.indexes(fromMs, toMs)) {
      const slot = this.slot(index);
      const value = pick(this.systems[slot]!);
      if (value === undefined) continue;
      series.atMs.push(this.atMs[slot]!);
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
    for (const index of this.indexes(fromMs, toMs)) {
      const slot = this.slot(index);
      for (const core of this.systems[slot]!.cores) {
        let series = byCore.get(core.core);
        if (!series) byCore.set(core.core, (series = { atMs: [], values: [] }));
        series.atMs.push(this.atMs[slot]!);
        series.values.push(core.cpuPercent);
      }
    }
    return byCore;
  }

  /**
   * Sum of one metric over a program's processes in each entry. An entry in which the program had no
   * process yields 0, so the series has one point per entry and lines up with the others.
   */
  programSeries(programId: string, metric: ProgramMetric, fromMs = 0, toMs?: number): Series {
    const series: Series = { atMs: [], values: [] };
    const column = this.programs.get(programId)?.[metric];
    for (const index of this.indexes(fromMs, toMs)) {
      const slot = this.slot(index);
      series.atMs.push(this.atMs[slot]!);
      series.values.push(column ? column[slot]! : 0);
    }
    return series;
  }

  private slot(index: number): number {
    return (this.head + index) % this.capacity;
  }

  /** Logical indexes of the entries with fromMs <= at <= toMs. */
  private *indexes(fromMs: number, toMs: number = Number.POSITIVE_INFINITY): Generator<number> {
    if (toMs < fromMs) return;
    for (let i = this.lowerBound(fromMs); i < this.length; i++) {
      if (this.atMs[this.slot(i)]! > toMs) return;
      yield i;
    }
  }

  /** First logical index whose entry has at >= t. */
  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.atMs[this.slot(mid)]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
