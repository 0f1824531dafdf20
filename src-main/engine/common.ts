// Small pure helpers shared by the engine modules: identity keys, targets, core counts, robust stats.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { DecisionTarget } from '../../src-shared/engine';
import { processKey, programKey } from '../../src-shared/identity';

export { processKey, programKey };

/**
 * Work in proportion to change: true when `p` is the identical object the previous tick had for the
 * same process. The collector hands over the same ProcessSample for a process it proved did not run,
 * so its values are last tick's. The engine answers it once per tick from last tick's processes;
 * modules use it to skip repeated work. Absent: nothing is taken as unchanged.
 */
export type Unchanged = (p: ProcessSample) => boolean;

/** The keys of this tick's processes: a Set, or the tick's Map by key (no copy of its keys). */
export interface KeySet {
  has(key: string): boolean;
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

export interface ShareRequest {
  weight: number;
  /** Most cores this process can use. */
  maxCores: number;
}

/** Weighted max-min fair shares of `capacity` cores (water-filling: the fluid limit of CFS). */
export function fairShares(requests: readonly ShareRequest[], capacity: number): number[] {
  const out = requests.map(() => 0);
  let left = capacity;
  let open = requests.map((_, i) => i).filter((i) => requests[i]!.maxCores > 0 && requests[i]!.weight > 0);
  while (open.length > 0 && left > 1e-12) {
    const totalWeight = open.reduce((s, i) => s + requests[i]!.weight, 0);
    const rate = left / totalWeight;
    const saturated = open.filter((i) => requests[i]!.weight * rate >= requests[i]!.maxCores - 1e-12);
    if (saturated.length === 0) {
      for (const i of open) out[i] = requests[i]!.weight * rate;
      break;
    }
    for (const i of saturated) {
      out[i] = requests[i]!.maxCores;
      left -= requests[i]!.maxCores;
    }
    const done = new Set(saturated);
    open = open.filter((i) => !done.has(i));
  }
  return out;
}

/** Linux CFS weight of a nice value (kernel sched_prio_to_weight: 1024 at 0, about ×1.25 per step). */
export const NICE_TO_WEIGHT: readonly number[] = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];

export function niceWeight(nice: number): number {
  const i = Math.max(-20, Math.min(19, Math.round(nice))) + 20;
  return NICE_TO_WEIGHT[i]!;
}
