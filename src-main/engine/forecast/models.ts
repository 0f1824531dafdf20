// Classical online forecasters: naive, seasonal naive, EWMA, Holt (damped trend), Holt-Winters (additive).
// Pure and O(1) per update (Holt-Winters O(1) plus a ring of one season). Each model keeps a ring of its
// own one-step residuals; p90(h) = p50(h) + horizonFactor(h) * q90(residuals), where horizonFactor is the
// model's theoretical growth of the forecast-error standard deviation with the horizon (sqrt(h) for a
// random walk, sqrt(1 + (h-1) alpha^2) for simple exponential smoothing, ...).

import type { Forecaster, QuantileForecast } from './types';
import { ResidualRing, type ResidualRingJSON } from './residuals';
import { asObject, checkParam, expectKind, finite, finiteArray, finiteOrNull, integerIn, type JsonObject } from './json';

/** Shared residual bookkeeping: residual = observed value - the model's one-step p50 made just before. */
abstract class ResidualModel implements Forecaster {
  abstract readonly name: string;
  protected residuals = new ResidualRing();
  protected seen = 0;

  /** One-step p50 from the current state, or undefined before the first value. */
  protected abstract oneStep(): number | undefined;
  protected abstract absorb(value: number): void;
  protected abstract pointForecast(horizonSteps: number): number;
  protected abstract horizonFactor(horizonSteps: number): number;
  abstract toJSON(): unknown;

  update(value: number): void {
    if (!Number.isFinite(value)) return;
    const predicted = this.oneStep();
    if (predicted !== undefined) this.residuals.push(value - predicted);
    this.absorb(value);
    this.seen += 1;
  }

  forecast(horizonSteps: number): QuantileForecast {
    const h = Math.max(1, Math.round(horizonSteps));
    if (this.seen === 0) return { horizonSteps: h, p50: 0, p90: 0 };
    const p50 = this.pointForecast(h);
    return { horizonSteps: h, p50, p90: p50 + this.horizonFactor(h) * this.residuals.q90() };
  }

  protected baseJSON(): { seen: number; residuals: ResidualRingJSON } {
    return { seen: this.seen, residuals: this.residuals.toJSON() };
  }

  protected restoreBase(obj: JsonObject, what: string): void {
    this.seen = integerIn(obj, 'seen', what, 0);
    this.residuals = ResidualRing.fromJSON(asObject(obj.residuals, `${what}.residuals`) as unknown as ResidualRingJSON);
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Naive: the last value. Errors grow like a random walk: factor sqrt(h). */
export class NaiveForecaster extends ResidualModel {
  readonly name = 'naive';
  private last: number | undefined;

  protected oneStep() {
    return this.last;
  }
  protected absorb(value: number) {
    this.last = value;
  }
  protected pointForecast() {
    return this.last ?? 0;
  }
  protected horizonFactor(h: number) {
    return Math.sqrt(h);
  }
  toJSON() {
    return { kind: 'naive', ...this.baseJSON(), last: this.last ?? null };
  }
  static fromJSON(json: unknown): NaiveForecaster {
    const obj = asObject(json, 'naive');
    expectKind(obj, 'naive');
    const m = new NaiveForecaster();
    m.restoreBase(obj, 'naive');
    m.last = finiteOrNull(obj, 'last', 'naive') ?? undefined;
    return m;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Seasonal naive: the value one season ago (same phase). Before a full season: the last value. */
export class SeasonalNaiveForecaster extends ResidualModel {
  readonly name: string;
  private readonly ring: Float64Array;

  constructor(readonly seasonSteps: number) {
    super();
    checkParam(Number.isInteger(seasonSteps) && seasonSteps >= 2 && seasonSteps <= 100_000, 'seasonal-naive', `seasonSteps must be an integer in [2, 100000], got ${seasonSteps}`);
    this.name = `seasonal-naive(${seasonSteps})`;
    this.ring = new Float64Array(seasonSteps);
  }

  /** The value observed at absolute step index `i` (0-based), valid for i in [seen - season, seen). */
  private at(i: number): number {
    return this.ring[i % this.seasonSteps]!;
  }
  protected oneStep() {
    if (this.seen === 0) return undefined;
    return this.pointForecast(1);
  }
  protected absorb(value: number) {
    this.ring[this.seen % this.seasonSteps] = value;
  }
  protected pointForecast(h: number) {
    const s = this.seasonSteps;
    if (this.seen < s) return this.at(this.seen - 1);
    // Target step index seen - 1 + h; same phase k seasons back, the most recent one already seen.
    const target = this.seen - 1 + h;
    const back = Math.ceil(h / s) * s;
    return this.at(target - back);
  }
  protected horizonFactor(h: number) {
    return Math.sqrt(Math.ceil(h / this.seasonSteps));
  }
  toJSON() {
    return { kind: 'seasonal-naive', ...this.baseJSON(), seasonSteps: this.seasonSteps, ring: Array.from(this.ring) };
  }
  static fromJSON(json: unknown): SeasonalNaiveForecaster {
    const obj = asObject(json, 'seasonal-naive');
    expectKind(obj, 'seasonal-naive');
    const m = new SeasonalNaiveForecaster(integerIn(obj, 'seasonSteps', 'seasonal-naive', 2, 100_000));
    m.restoreBase(obj, 'seasonal-naive');
    m.ring.set(finiteArray(obj, 'ring', 'seasonal-naive', m.seasonSteps));
    return m;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Exponentially weighted moving average (simple exponential smoothing): a flat forecast at the level. */
export class EwmaForecaster extends ResidualModel {
  readonly name: string;
  private level: number | undefined;

  constructor(readonly alpha = 0.3) {
    super();
    checkParam(alpha > 0 && alpha <= 1, 'ewma', `alpha must be in (0, 1], got ${alpha}`);
    this.name = `ewma(${alpha})`;
  }
  protected oneStep() {
    return this.level;
  }
  protected absorb(value: number) {
    this.level = this.level === undefined ? value : this.level + this.alpha * (value - this.level);
  }
  protected pointForecast() {
    return this.level ?? 0;
  }
  protected horizonFactor(h: number) {
    return Math.sqrt(1 + (h - 1) * this.alpha * this.alpha);
  }
  toJSON() {
    return { kind: 'ewma', ...this.baseJSON(), alpha: this.alpha, level: this.level ?? null };
  }
  static fromJSON(json: unknown): EwmaForecaster {
    const obj = asObject(json, 'ewma');
    expectKind(obj, 'ewma');
    const m = new EwmaForecaster(finite(obj, 'alpha', 'ewma'));
    m.restoreBase(obj, 'ewma');
    m.level = finiteOrNull(obj, 'level', 'ewma') ?? undefined;
    return m;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Sum phi + phi^2 + ... + phi^h (the damped-trend multiplier). */
function dampedSum(phi: number, h: number): number {
  if (phi === 1) return h;
  return (phi * (1 - Math.pow(phi, h))) / (1 - phi);
}

/** sqrt(1 + sum_{j=1}^{h-1} (alpha (1 + beta Phi_j))^2): Holt's damped-trend error growth (Hyndman et al., class 1). */
function holtFactor(alpha: number, beta: number, phi: number, h: number): number {
  let sum = 1;
  const steps = Math.min(h - 1, 2000);
  for (let j = 1; j <= steps; j++) {
    const c = alpha * (1 + beta * dampedSum(phi, j));
    sum += c * c;
  }
  return Math.sqrt(sum);
}

/** holtFactor for one model's constants, remembered per horizon (a model is asked the same few horizons every step). */
function holtFactorCache(alpha: number, beta: number, phi: number): (h: number) => number {
  const cache = new Map<number, number>();
  return (h) => {
    let f = cache.get(h);
    if (f === undefined) {
      f = holtFactor(alpha, beta, phi, h);
      if (cache.size < 64) cache.set(h, f);
    }
    return f;
  };
}

export interface HoltOptions {
  alpha?: number;
  beta?: number;
  /** Trend damping in (0, 1]; 1 = undamped. */
  phi?: number;
}

/** Holt's linear method with a damped trend. */
export class HoltForecaster extends ResidualModel {
  readonly name: string;
  readonly alpha: number;
  readonly beta: number;
  readonly phi: number;
  private level: number | undefined;
  private trend = 0;
  private readonly factor: (h: number) => number;

  constructor(options: HoltOptions = {}) {
    super();
    this.alpha = options.alpha ?? 0.5;
    this.beta = options.beta ?? 0.1;
    this.phi = options.phi ?? 0.95;
    checkParam(this.alpha > 0 && this.alpha <= 1, 'holt', `alpha must be in (0, 1], got ${this.alpha}`);
    checkParam(this.beta >= 0 && this.beta <= 1, 'holt', `beta must be in [0, 1], got ${this.beta}`);
    checkParam(this.phi > 0 && this.phi <= 1, 'holt', `phi must be in (0, 1], got ${this.phi}`);
    this.name = `holt(${this.alpha},${this.beta},${this.phi})`;
    this.factor = holtFactorCache(this.alpha, this.beta, this.phi);
  }
  protected oneStep() {
    return this.level === undefined ? undefined : this.level + this.phi * this.trend;
  }
  protected absorb(value: number) {
    if (this.level === undefined) {
      this.level = value;
      return;
    }
    if (this.seen === 1) {
      this.trend = value - this.level;
      this.level = value;
      return;
    }
    const prevLevel = this.level;
    this.level = this.alpha * value + (1 - this.alpha) * (prevLevel + this.phi * this.trend);
    this.trend = this.beta * (this.level - prevLevel) + (1 - this.beta) * this.phi * this.trend;
  }
  protected pointForecast(h: number) {
    return (this.level ?? 0) + dampedSum(this.phi, h) * this.trend;
  }
  protected horizonFactor(h: number) {
    return this.factor(h);
  }
  toJSON() {
    return { kind: 'holt', ...this.baseJSON(), alpha: this.alpha, beta: this.beta, phi: this.phi, level: this.level ?? null, trend: this.trend };
  }
  static fromJSON(json: unknown): HoltForecaster {
    const obj = asObject(json, 'holt');
    expectKind(obj, 'holt');
    const m = new HoltForecaster({ alpha: finite(obj, 'alpha', 'holt'), beta: finite(obj, 'beta', 'holt'), phi: finite(obj, 'phi', 'holt') });
    m.restoreBase(obj, 'holt');
    m.level = finiteOrNull(obj, 'level', 'holt') ?? undefined;
    m.trend = finite(obj, 'trend', 'holt');
    return m;
  }
}

// ---------------------------------------------------------------------------------------------------------

export interface HoltWintersOptions extends HoltOptions {
  seasonSteps: number;
  gamma?: number;
}

/**
 * Additive Holt-Winters with a damped trend. The first full season initialises the level (its mean) and
 * the seasonal indices (deviations from that mean); before that it forecasts the running mean.
 */
export class HoltWintersForecaster extends ResidualModel {
  readonly name: string;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
  readonly seasonSteps: number;
  private level = 0;
  private trend = 0;
  /** Seasonal index for absolute step i lives at seasonal[i % seasonSteps]. */
  private readonly seasonal: Float64Array;
  private readonly factor: (h: number) => number;

  constructor(options: HoltWintersOptions) {
    super();
    this.seasonSteps = options.seasonSteps;
    this.alpha = options.alpha ?? 0.3;
    this.beta = options.beta ?? 0.05;
    this.gamma = options.gamma ?? 0.2;
    this.phi = options.phi ?? 0.95;
    checkParam(Number.isInteger(this.seasonSteps) && this.seasonSteps >= 2 && this.seasonSteps <= 100_000, 'holt-winters', `seasonSteps must be an integer in [2, 100000], got ${this.seasonSteps}`);
    checkParam(this.alpha > 0 && this.alpha <= 1, 'holt-winters', `alpha must be in (0, 1], got ${this.alpha}`);
    checkParam(this.beta >= 0 && this.beta <= 1, 'holt-winters', `beta must be in [0, 1], got ${this.beta}`);
    checkParam(this.gamma >= 0 && this.gamma <= 1, 'holt-winters', `gamma must be in [0, 1], got ${this.gamma}`);
    checkParam(this.phi > 0 && this.phi <= 1, 'holt-winters', `phi must be in (0, 1], got ${this.phi}`);
    this.seasonal = new Float64Array(this.seasonSteps);
    this.name = `holt-winters(${this.seasonSteps})`;
    this.factor = holtFactorCache(this.alpha, this.beta, this.phi);
  }

  protected oneStep() {
    if (this.seen === 0) return undefined;
    return this.pointForecast(1);
  }
  protected absorb(value: number) {
    const s = this.seasonSteps;
    const i = this.seen;
    if (i < s) {
      // Initial season: store raw values, keep the running mean as the level.
      this.seasonal[i] = value;
      this.level = this.level + (value - this.level) / (i + 1);
      if (i === s - 1) {
        for (let k = 0; k < s; k++) this.seasonal[k] = this.seasonal[k]! - this.level;
      }
      return;
    }
    const idx = i % s;
    const seasonalOld = this.seasonal[idx]!;
    const prevLevel = this.level;
    this.level = this.alpha * (value - seasonalOld) + (1 - this.alpha) * (prevLevel + this.phi * this.trend);
    this.trend = this.beta * (this.level - prevLevel) + (1 - this.beta) * this.phi * this.trend;
    this.seasonal[idx] = this.gamma * (value - this.level) + (1 - this.gamma) * seasonalOld;
  }
  protected pointForecast(h: number) {
    if (this.seen < this.seasonSteps) return this.level;
    const target = this.seen - 1 + h;
    return this.level + dampedSum(this.phi, h) * this.trend + this.seasonal[target % this.seasonSteps]!;
  }
  protected horizonFactor(h: number) {
    return this.factor(h);
  }
  toJSON() {
    return {
      kind: 'holt-winters',
      ...this.baseJSON(),
      seasonSteps: this.seasonSteps,
      alpha: this.alpha,
      beta: this.beta,
      gamma: this.gamma,
      phi: this.phi,
      level: this.level,
      trend: this.trend,
      seasonal: Array.from(this.seasonal),
    };
  }
  static fromJSON(json: unknown): HoltWintersForecaster {
    const what = 'holt-winters';
    const obj = asObject(json, what);
    expectKind(obj, what);
    const m = new HoltWintersForecaster({
      seasonSteps: integerIn(obj, 'seasonSteps', what, 2, 100_000),
      alpha: finite(obj, 'alpha', what),
      beta: finite(obj, 'beta', what),
      gamma: finite(obj, 'gamma', what),
      phi: finite(obj, 'phi', what),
    });
    m.restoreBase(obj, what);
    m.level = finite(obj, 'level', what);
    m.trend = finite(obj, 'trend', what);
    m.seasonal.set(finiteArray(obj, 'seasonal', what, m.seasonSteps));
    return m;
  }
}

export { ResidualModel };
