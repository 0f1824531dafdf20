// Streaming quantiles with the P² algorithm (Jain & Chlamtac, 1985): five markers per quantile,
// O(1) memory and time per observation, no stored samples. State is a plain object so it
// serializes as-is. P² never forgets: these are long-run distributions, which is what a
// behavioural profile is; short-term behaviour is the forecasters' job.

export interface P2State {
  p: number;
  count: number;
  /** Marker heights (the first five observations, sorted, until count reaches 5). */
  q: number[];
  /** Marker positions (1-based). */
  n: number[];
  /** Desired marker positions. */
  np: number[];
}

export function p2Create(p: number): P2State {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile must be in (0,1), got ${p}`);
  return { p, count: 0, q: [], n: [1, 2, 3, 4, 5], np: [1, 1 + 2 * p, 1 + 4 * p, 3 + 2 * p, 5] };
}

export function p2Add(s: P2State, x: number): void {
  if (!Number.isFinite(x)) return;
  s.count++;
  const q = s.q;
  if (s.count <= 5) {
    let i = q.length;
    q.push(x);
    while (i > 0 && q[i - 1]! > x) {
      q[i] = q[i - 1]!;
      i--;
    }
    q[i] = x;
    return;
  }
  const n = s.n;
  const p = s.p;
  let k: number;
  if (x < q[0]!) {
    q[0] = x;
    k = 0;
  } else if (x >= q[4]!) {
    q[4] = x;
    k = 3;
  } else {
    k = 0;
    while (k < 3 && x >= q[k + 1]!) k++;
  }
  for (let i = k + 1; i < 5; i++) n[i]!++;
  const np = s.np;
  np[1]! += p / 2;
  np[2]! += p;
  np[3]! += (1 + p) / 2;
  np[4]! += 1;
  for (let i = 1; i <= 3; i++) {
    const d = s.np[i]! - n[i]!;
    if ((d >= 1 && n[i + 1]! - n[i]! > 1) || (d <= -1 && n[i - 1]! - n[i]! < -1)) {
      const sign = d > 0 ? 1 : -1;
      const qp =
        q[i]! +
        (sign / (n[i + 1]! - n[i - 1]!)) *
          ((n[i]! - n[i - 1]! + sign) * ((q[i + 1]! - q[i]!) / (n[i + 1]! - n[i]!)) +
            (n[i + 1]! - n[i]! - sign) * ((q[i]! - q[i - 1]!) / (n[i]! - n[i - 1]!)));
      if (q[i - 1]! < qp && qp < q[i + 1]!) q[i] = qp;
      else q[i] = q[i]! + (sign * (q[i + sign]! - q[i]!)) / (n[i + sign]! - n[i]!);
      n[i]! += sign;
    }
  }
}

/** Current estimate; NaN before any observation. */
export function p2Value(s: P2State): number {
  if (s.count === 0) return NaN;
  if (s.count < 5) {
    const idx = Math.min(s.q.length - 1, Math.max(0, Math.ceil(s.p * s.q.length) - 1));
    return s.q[idx]!;
  }
  return s.q[2]!;
}

export const PROFILE_QUANTILES = [0.1, 0.5, 0.9, 0.99] as const;

/** A small summary of one metric: count, mean, min, max and P² estimates of p10/p50/p90/p99. */
export interface QuantileSet {
  count: number;
  mean: number;
  min: number;
  max: number;
  estimators: P2State[];
}

export function qsCreate(): QuantileSet {
  return { count: 0, mean: 0, min: Infinity, max: -Infinity, estimators: PROFILE_QUANTILES.map((p) => p2Create(p)) };
}

export function qsAdd(s: QuantileSet, x: number): void {
  if (!Number.isFinite(x)) return;
  s.count++;
  s.mean += (x - s.mean) / s.count;
  if (x < s.min) s.min = x;
  if (x > s.max) s.max = x;
  for (const e of s.estimators) p2Add(e, x);
}

export interface QuantileSummary {
  count: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
  p99: number;
}

export function qsSummary(s: QuantileSet): QuantileSummary {
  const [p10, p50, p90, p99] = s.estimators.map(p2Value) as [number, number, number, number];
  return { count: s.count, mean: s.count ? s.mean : NaN, p10, p50, p90, p99 };
}

/**
 * Robust z-score of x against the distribution: (x - p50) / sigma, where sigma is estimated from the
 * p10..p90 spread (2.563 sigma for a normal distribution), floored by `minSigma`.
 */
export function robustZ(s: QuantileSet, x: number, minSigma: number): number {
  const { p10, p50, p90 } = qsSummary(s);
  if (!Number.isFinite(p50)) return 0;
  const sigma = Math.max(minSigma, (p90 - p10) / 2.563);
  return (x - p50) / sigma;
}

/** JSON cannot hold Infinity: min/max are stored as null when empty. */
export function qsToJSON(s: QuantileSet): unknown {
  return { ...s, min: s.count ? s.min : null, max: s.count ? s.max : null };
}

export function qsFromJSON(raw: unknown): QuantileSet {
  const o = raw as { count: number; mean: number; min: number | null; max: number | null; estimators: P2State[] };
  return {
    count: o.count,
    mean: o.mean,
    min: o.min ?? Infinity,
    max: o.max ?? -Infinity,
    estimators: o.estimators.map((e) => ({ p: e.p, count: e.count, q: [...e.q], n: [...e.n], np: [...e.np] })),
  };
}
