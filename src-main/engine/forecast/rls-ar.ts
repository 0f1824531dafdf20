// Online autoregressive model AR(p) with intercept, fitted by recursive least squares with a forgetting
// factor lambda (effective memory ~ 1 / (1 - lambda) steps):
//   y_t = c + a_1 y_{t-1} + ... + a_p y_{t-p} + e_t
// Values are divided by a fixed scale (set from the first observation's magnitude) so the covariance
// matrix stays well conditioned for series in bytes as well as in percent. The covariance trace is capped
// to avoid wind-up when the input stops exciting the model (a constant series).
// h-step forecasts iterate the recursion on its own predictions (clamped to the range seen, widened by
// that range, so an unstable fit cannot explode); p90 uses the psi-weights of the fitted AR polynomial:
// sd_h = sd_1 * sqrt(sum_{j<h} psi_j^2).

import type { Forecaster, QuantileForecast } from './types';
import { ResidualRing, type ResidualRingJSON } from './residuals';
import { asObject, checkParam, expectKind, finite, finiteArray, integerIn } from './json';

export interface RlsArOptions {
  /** AR order p (1..16). */
  order?: number;
  /** Forgetting factor in (0.9, 1]. */
  lambda?: number;
  /** Initial covariance diagonal (large = vague prior). */
  delta?: number;
}

const MAX_TRACE = 1e6;
const MAX_ROLLOUT = 2000;

export class RlsArForecaster implements Forecaster {
  readonly name: string;
  readonly order: number;
  readonly lambda: number;
  readonly delta: number;
  /** Parameters [c, a_1..a_p] in scaled units. */
  private theta: Float64Array;
  /** Covariance, row-major (p+1)x(p+1). */
  private P: Float64Array;
  /** Last p scaled values, most recent first. */
  private lags: Float64Array;
  private scale = 0;
  private seen = 0;
  private minScaled = Infinity;
  private maxScaled = -Infinity;
  private residuals = new ResidualRing();
  private rollout: Float64Array | undefined;
  private psiCumulative: Float64Array | undefined;
  /** Longest horizon asked for since the last restore: rollouts are computed that far at once. */
  private maxAskedSteps = 1;
  private readonly x: Float64Array;
  private readonly px: Float64Array;

  constructor(options: RlsArOptions = {}) {
    this.order = options.order ?? 4;
    this.lambda = options.lambda ?? 0.995;
    this.delta = options.delta ?? 100;
    checkParam(Number.isInteger(this.order) && this.order >= 1 && this.order <= 16, 'rls-ar', `order must be an integer in [1, 16], got ${this.order}`);
    checkParam(this.lambda > 0.9 && this.lambda <= 1, 'rls-ar', `lambda must be in (0.9, 1], got ${this.lambda}`);
    checkParam(this.delta > 0 && Number.isFinite(this.delta), 'rls-ar', `delta must be a positive number, got ${this.delta}`);
    this.name = `rls-ar(${this.order})`;
    const n = this.order + 1;
    this.theta = new Float64Array(n);
    this.P = new Float64Array(n * n);
    for (let i = 0; i < n; i++) this.P[i * n + i] = this.delta;
    this.lags = new Float64Array(this.order);
    this.x = new Float64Array(n);
    this.px = new Float64Array(n);
  }

  /** Fitted coefficients in the series' own units: intercept and a_1..a_p. */
  coefficients(): { intercept: number; ar: number[] } {
    return { intercept: this.theta[0]! * this.scale, ar: Array.from(this.theta.slice(1)) };
  }

  private predictScaled(lags: Float64Array): number {
    let y = this.theta[0]!;
    for (let i = 0; i < this.order; i++) y += this.theta[i + 1]! * lags[i]!;
    return y;
  }

  update(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.seen === 0) {
      this.scale = Math.max(1, Math.abs(value));
      this.lags.fill(value / this.scale);
    }
    const y = value / this.scale;
    if (this.seen > 0) {
      this.residuals.push((y - this.clampScaled(this.predictScaled(this.lags))) * this.scale);
      this.rlsStep(y);
    }
    for (let i = this.order - 1; i > 0; i--) this.lags[i] = this.lags[i - 1]!;
    this.lags[0] = y;
    if (y < this.minScaled) this.minScaled = y;
    if (y > this.maxScaled) this.maxScaled = y;
    this.seen += 1;
    this.rollout = undefined;
    this.psiCumulative = undefined;
  }

  private rlsStep(y: number): void {
    const n = this.order + 1;
    const { x, px, P, theta } = this;
    x[0] = 1;
    for (let i = 0; i < this.order; i++) x[i + 1] = this.lags[i]!;
    let denom = this.lambda;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += P[i * n + j]! * x[j]!;
      px[i] = s;
      denom += x[i]! * s;
    }
    let err = y;
    for (let i = 0; i < n; i++) err -= theta[i]! * x[i]!;
    for (let i = 0; i < n; i++) theta[i] = theta[i]! + (px[i]! / denom) * err;
    // P = (P - px px^T / denom) / lambda  (P symmetric, so x^T P = px^T).
    let trace = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) P[i * n + j] = (P[i * n + j]! - (px[i]! * px[j]!) / denom) / this.lambda;
      trace += P[i * n + i]!;
    }
    if (trace > MAX_TRACE) {
      const k = MAX_TRACE / trace;
      for (let i = 0; i < n * n; i++) P[i] = P[i]! * k;
    }
  }

  private clampScaled(v: number): number {
    if (!Number.isFinite(v)) return this.lags[0] ?? 0;
    const span = Math.max(this.maxScaled - this.minScaled, 1e-9);
    return Math.min(this.maxScaled + span, Math.max(this.minScaled - span, v));
  }

  private ensureRollout(h: number): Float64Array {
    if (this.rollout && this.rollout.length >= h) return this.rollout;
    if (h > this.maxAskedSteps) this.maxAskedSteps = h;
    const len = Math.min(MAX_ROLLOUT, this.maxAskedSteps);
    const out = new Float64Array(len);
    const lags = this.lags.slice();
    for (let k = 0; k < len; k++) {
      const y = this.clampScaled(this.predictScaled(lags));
      out[k] = y;
      for (let i = this.order - 1; i > 0; i--) lags[i] = lags[i - 1]!;
      lags[0] = y;
    }
    this.rollout = out;
    return out;
  }

  /** sqrt(sum_{j<h} psi_j^2), cached per update up to the longest horizon asked for. */
  private psiFactor(h: number): number {
    const n = Math.min(h, MAX_ROLLOUT);
    if (!this.psiCumulative || this.psiCumulative.length < n) {
      const len = Math.max(n, Math.min(MAX_ROLLOUT, this.maxAskedSteps));
      const psi = new Float64Array(len);
      const cum = new Float64Array(len);
      psi[0] = 1;
      cum[0] = 1;
      for (let j = 1; j < len; j++) {
        let v = 0;
        for (let i = 1; i <= Math.min(j, this.order); i++) v += this.theta[i]! * psi[j - i]!;
        // An explosive fit would make the band meaningless; cap growth at the random-walk rate.
        psi[j] = Math.max(-1, Math.min(1, v));
        cum[j] = cum[j - 1]! + psi[j]! * psi[j]!;
      }
      this.psiCumulative = cum;
    }
    return Math.sqrt(this.psiCumulative[n - 1]!);
  }

  forecast(horizonSteps: number): QuantileForecast {
    const h = Math.max(1, Math.round(horizonSteps));
    if (this.seen === 0) return { horizonSteps: h, p50: 0, p90: 0 };
    const roll = this.ensureRollout(Math.min(h, MAX_ROLLOUT));
    const p50 = roll[Math.min(h, roll.length) - 1]! * this.scale;
    return { horizonSteps: h, p50, p90: p50 + this.psiFactor(h) * this.residuals.q90() };
  }

  toJSON() {
    return {
      kind: 'rls-ar',
      order: this.order,
      lambda: this.lambda,
      delta: this.delta,
      theta: Array.from(this.theta),
      P: Array.from(this.P),
      lags: Array.from(this.lags),
      scale: this.scale,
      seen: this.seen,
      minScaled: Number.isFinite(this.minScaled) ? this.minScaled : null,
      maxScaled: Number.isFinite(this.maxScaled) ? this.maxScaled : null,
      residuals: this.residuals.toJSON(),
    };
  }

  static fromJSON(json: unknown): RlsArForecaster {
    const what = 'rls-ar';
    const obj = asObject(json, what);
    expectKind(obj, what);
    const m = new RlsArForecaster({ order: integerIn(obj, 'order', what, 1, 16), lambda: finite(obj, 'lambda', what), delta: finite(obj, 'delta', what) });
    const n = m.order + 1;
    m.theta.set(finiteArray(obj, 'theta', what, n));
    m.P.set(finiteArray(obj, 'P', what, n * n));
    m.lags.set(finiteArray(obj, 'lags', what, m.order));
    m.scale = finite(obj, 'scale', what);
    m.seen = integerIn(obj, 'seen', what, 0);
    m.minScaled = obj.minScaled === null ? Infinity : finite(obj, 'minScaled', what);
    m.maxScaled = obj.maxScaled === null ? -Infinity : finite(obj, 'maxScaled', what);
    m.residuals = ResidualRing.fromJSON(asObject(obj.residuals, `${what}.residuals`) as unknown as ResidualRingJSON);
    return m;
  }
}
