// Small pure helpers shared by the engine modules: identity keys, targets, core counts, robust stats.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { DecisionTarget } from '../../src-shared/engine';

/** A process is (pid, startTime): a reused pid never maps to an old entry. */
export function processKey(p: { pid: number; startTime: number }): string {
  return `${p.pid}:${p.startTime}`;
}

/** Program identity: the processing step's programId, else the process name. */
export function programKey(p: ProcessSample): string {
  return p.programId ?? p.name;
}

export function targetOf(p: ProcessSample): DecisionTarget {
  return { pid: p.pid, startTime: p.startTime, name: p.name, programId: programKey(p) };
}

/** Logical cores in this sample (at least 1). */
export function coreCount(sample: Sample, fallback = 1): number {
  return Math.max(1, sample.system.cores.length || fallback);
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Theil–Sen slope and intercept with the coefficient of determination of that line. */
export function theilSen(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number } {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: 0, intercept: ys[0] ?? 0, r2: 0 };
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  const slope = slopes.length ? median(slopes) : 0;
  const intercept = median(ys.slice(0, n).map((y, i) => y - slope * xs[i]!));
  const meanY = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const fit = intercept + slope * xs[i]!;
    ssRes += (ys[i]! - fit) ** 2;
    ssTot += (ys[i]! - meanY) ** 2;
  }
  const r2 = ssTot === 0 ? 0 : Math.max(0, 1 - ssRes / ssTot);
  return { slope, intercept, r2 };
}
