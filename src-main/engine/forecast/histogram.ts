// Decaying-histogram quantiles: an exponentially decayed histogram of the values seen, answering p50 and
// p90 directly as quantiles of the recent value distribution (the same at every horizon: it forecasts
// "what this series is typically like lately", not its path).
// Bins are on a signed log scale, bin k covers |v| in [(1+r)^k - 1, (1+r)^(k+1) - 1) with r = 2 %, so
// the model needs no range and works for percent and for bytes alike. Each bin also keeps the decayed sum
// of its values, and a quantile answers the decayed mean of the bin it falls in (exact for a series that
// repeats values, e.g. CPU saturated at 100 %; within 2 % otherwise).
// Decay is O(1) per update: each new value is added with weight growing by 1/decay per step, and the
// histogram is renormalised before the weights overflow.

import type { Forecaster, QuantileForecast } from './types';
import { asObject, checkParam, expectKind, finite, finiteArray } from './json';

const RESOLUTION = 0.02;
const LOG_BASE = Math.log1p(RESOLUTION);
const RENORMALISE_AT = 1e100;

function binOf(v: number): number {
  const k = Math.floor(Math.log1p(Math.abs(v)) / LOG_BASE);
  // Negative values map to negative bin ids (-1 - k), so ids sort in value order.
  return v < 0 ? -1 - k : k;
}

function valueOf(bin: number): number {
  const k = bin < 0 ? -1 - bin : bin;
  const mid = Math.expm1((k + 0.5) * LOG_BASE);
  return bin < 0 ? -mid : mid;
}

export interface DecayingHistogramOptions {
  /** Weight of an observation halves after this many steps. */
  halfLifeSteps?: number;
}

export class DecayingHistogramForecaster implements Forecaster {
  readonly name: string;
  readonly halfLifeSteps: number;
  private readonly decay: number;
  /** Sorted bin ids and their weights (parallel arrays). */
  private bins: number[] = [];
  private weights: number[] = [];
  /** Decayed sum of the values in each bin (same weights). */
  private sums: number[] = [];
  /** Smallest and largest value ever put in each bin (bins are 2 % wide, so these stay close). */
  private mins: number[] = [];
  private maxs: number[] = [];
  private total = 0;
  private increment = 1;
  private cached: { p50: number; p90: number } | undefined;

  constructor(options: DecayingHistogramOptions = {}) {
    this.halfLifeSteps = options.halfLifeSteps ?? 120;
    checkParam(this.halfLifeSteps >= 1 && Number.isFinite(this.halfLifeSteps), 'decaying-histogram', `halfLifeSteps must be >= 1, got ${this.halfLifeSteps}`);
    this.decay = Math.pow(0.5, 1 / this.halfLifeSteps);
    this.name = `decaying-histogram(${this.halfLifeSteps})`;
  }

  update(value: number): void {
    if (!Number.isFinite(value)) return;
    this.increment /= this.decay;
    const bin = binOf(value);
    // Binary search for the bin.
    let lo = 0;
    let hi = this.bins.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bins[mid]! < bin) lo = mid + 1;
      else hi = mid;
    }
    if (this.bins[lo] === bin) {
      this.weights[lo] = this.weights[lo]! + this.increment;
      this.sums[lo] = this.sums[lo]! + this.increment * value;
      if (value < this.mins[lo]!) this.mins[lo] = value;
      if (value > this.maxs[lo]!) this.maxs[lo] = value;
    } else {
      this.bins.splice(lo, 0, bin);
      this.weights.splice(lo, 0, this.increment);
      this.sums.splice(lo, 0, this.increment * value);
      this.mins.splice(lo, 0, value);
      this.maxs.splice(lo, 0, value);
    }
    this.total += this.increment;
    if (this.increment > RENORMALISE_AT) this.renormalise();
    this.cached = undefined;
  }

  /** Divide all weights so the newest has weight 1, dropping bins whose weight became negligible. */
  private renormalise(): void {
    const k = 1 / this.increment;
    const bins: number[] = [];
    const weights: number[] = [];
    const sums: number[] = [];
    const mins: number[] = [];
    const maxs: number[] = [];
    let total = 0;
    for (let i = 0; i < this.bins.length; i++) {
      const w = this.weights[i]! * k;
      if (w > 1e-9) {
        bins.push(this.bins[i]!);
        weights.push(w);
        sums.push(this.sums[i]! * k);
        mins.push(this.mins[i]!);
        maxs.push(this.maxs[i]!);
        total += w;
      }
    }
    this.bins = bins;
    this.weights = weights;
    this.sums = sums;
    this.mins = mins;
    this.maxs = maxs;
    this.total = total;
    this.increment = 1;
  }

  private binValue(i: number): number {
    const w = this.weights[i]!;
    return w > 0 ? this.sums[i]! / w : valueOf(this.bins[i]!);
  }

  /**
   * Quantile q in [0, 1] of the decayed distribution. `within` picks the value inside the bin the quantile
   * falls in: 'mean' (the bin's decayed mean: exact for repeated values, used for p50) or 'interpolate'
   * (linear between the bin's smallest and largest value by the quantile's position in the bin's weight,
   * used for p90 so a series that sits at its maximum is covered).
   */
  quantile(q: number, within: 'mean' | 'interpolate' = 'mean'): number {
    if (this.bins.length === 0) return 0;
    const target = q * this.total;
    let acc = 0;
    let i = 0;
    for (; i < this.bins.length - 1; i++) {
      if (acc + this.weights[i]! >= target) break;
      acc += this.weights[i]!;
    }
    if (within === 'mean') return this.binValue(i);
    const w = this.weights[i]!;
    const frac = w > 0 ? Math.min(1, Math.max(0, (target - acc) / w)) : 1;
    return this.mins[i]! + frac * (this.maxs[i]! - this.mins[i]!);
  }

  forecast(horizonSteps: number): QuantileForecast {
    const h = Math.max(1, Math.round(horizonSteps));
    if (!this.cached) this.cached = { p50: this.quantile(0.5), p90: this.quantile(0.9, 'interpolate') };
    return { horizonSteps: h, p50: this.cached.p50, p90: Math.max(this.cached.p50, this.cached.p90) };
  }

  toJSON() {
    return { kind: 'decaying-histogram', halfLifeSteps: this.halfLifeSteps, bins: [...this.bins], weights: [...this.weights], sums: [...this.sums], mins: [...this.mins], maxs: [...this.maxs], total: this.total, increment: this.increment };
  }

  static fromJSON(json: unknown): DecayingHistogramForecaster {
    const what = 'decaying-histogram';
    const obj = asObject(json, what);
    expectKind(obj, what);
    const m = new DecayingHistogramForecaster({ halfLifeSteps: finite(obj, 'halfLifeSteps', what) });
    const bins = finiteArray(obj, 'bins', what);
    const weights = finiteArray(obj, 'weights', what, bins.length);
    for (let i = 0; i < bins.length; i++) {
      if (!Number.isInteger(bins[i]) || (i > 0 && bins[i]! <= bins[i - 1]!)) throw new Error(`${what}: bins must be strictly increasing integers`);
    }
    m.bins = [...bins];
    m.weights = [...weights];
    m.sums = [...finiteArray(obj, 'sums', what, bins.length)];
    m.mins = [...finiteArray(obj, 'mins', what, bins.length)];
    m.maxs = [...finiteArray(obj, 'maxs', what, bins.length)];
    m.total = finite(obj, 'total', what);
    m.increment = finite(obj, 'increment', what);
    return m;
  }
}
