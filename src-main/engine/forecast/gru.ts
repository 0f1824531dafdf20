// A small recurrent neural forecaster: one GRU layer (scalar input, `hidden` units) and a linear read-out
// with a learnable skip connection, predicting the next normalised value: x_{t+1} ~ s x_t + w . h_t + b
// (s starts at 1, so an untrained network forecasts like naive and learns mean reversion from there).
// Written from scratch on Float64Array, no dependency.
//
// Normalisation is adaptive ("normalised windows"): at each step t the value is expressed against a causal
// exponentially weighted mean and standard deviation m_t, s_t (alpha = normAlpha, s floored at 5 % of the
// training series' standard deviation), input x_t = (v_t - m_t) / s_t and target (v_{t+1} - m_t) / s_t,
// both clipped to +-6. The network therefore sees level- and scale-free windows and survives a workload
// moving to a level it never saw in training. A rollout freezes m_t, s_t.
//
// trainGru(series, options) is pure and deterministic for a given seed: it computes those normalised
// inputs and targets, samples windows with a seeded PRNG, runs truncated back-propagation through time
// over each window with a Huber loss (the first `burnInSteps` only warm the hidden state), averages gradients
// over a mini-batch, clips their norm and applies Adam. The result is plain JSON (weights + normalisation),
// so training can run in a worker thread and the weights cross a structured-clone or IPC boundary.
//
// GruForecaster runs inference: one GRU step per update (O(hidden^2)); forecast(h) rolls the network
// forward on its own predictions (cached per update). p90(h) = p50(h) + sqrt(h) * q90(one-step residuals).

import type { Forecaster, QuantileForecast } from './types';
import { ResidualRing, type ResidualRingJSON } from './residuals';
import { createPrng } from './prng';
import { asObject, checkParam, expectKind, finite, finiteArray, integerIn } from './json';

export interface GruTrainOptions {
  hidden?: number;
  /** Smoothing factor of the adaptive normalisation (default 1/30). */
  normAlpha?: number;
  /** Steps per training window, including burn-in. */
  windowSteps?: number;
  burnInSteps?: number;
  iterations?: number;
  batchSize?: number;
  learningRate?: number;
  gradientClip?: number;
  /** Huber loss threshold in normalised units (default 0.5). */
  huberDelta?: number;
  seed?: number;
}

export interface GruWeights {
  kind: 'gru-weights';
  hidden: number;
  /** Mean and standard deviation of the training series (initial state of the adaptive normalisation). */
  mean: number;
  std: number;
  /** Smoothing factor of the adaptive mean/variance. */
  normAlpha: number;
  /** Floor of the adaptive standard deviation. */
  stdFloor: number;
  /** Flat parameter vector, layout in `layout(hidden)`. */
  params: number[];
  /** Mean Huber loss of one-step errors (normalised units) over the last 10 % of iterations. */
  finalLoss: number;
}

interface Layout {
  H: number;
  Wz: number; Uz: number; bz: number;
  Wr: number; Ur: number; br: number;
  Wh: number; Uh: number; bh: number;
  Wy: number; by: number; ws: number;
  size: number;
}

function layout(H: number): Layout {
  let o = 0;
  const take = (n: number) => {
    const at = o;
    o += n;
    return at;
  };
  const Wz = take(H), Uz = take(H * H), bz = take(H);
  const Wr = take(H), Ur = take(H * H), br = take(H);
  const Wh = take(H), Uh = take(H * H), bh = take(H);
  const Wy = take(H), by = take(1), ws = take(1);
  return { H, Wz, Uz, bz, Wr, Ur, br, Wh, Uh, bh, Wy, by, ws, size: o };
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

/** One GRU step. Writes h (new state) and, if given, the gate activations. Returns the next-value prediction. */
function gruStep(
  p: Float64Array, L: Layout, x: number, hPrev: Float64Array, h: Float64Array,
  z: Float64Array, r: Float64Array, hc: Float64Array, rh: Float64Array,
): number {
  const H = L.H;
  for (let i = 0; i < H; i++) {
    let az = p[L.Wz + i]! * x + p[L.bz + i]!;
    let ar = p[L.Wr + i]! * x + p[L.br + i]!;
    const row = i * H;
    for (let j = 0; j < H; j++) {
      az += p[L.Uz + row + j]! * hPrev[j]!;
      ar += p[L.Ur + row + j]! * hPrev[j]!;
    }
    z[i] = sigmoid(az);
    r[i] = sigmoid(ar);
  }
  for (let j = 0; j < H; j++) rh[j] = r[j]! * hPrev[j]!;
  let y = p[L.ws]! * x + p[L.by]!;
  for (let i = 0; i < H; i++) {
    let ah = p[L.Wh + i]! * x + p[L.bh + i]!;
    const row = i * H;
    for (let j = 0; j < H; j++) ah += p[L.Uh + row + j]! * rh[j]!;
    hc[i] = Math.tanh(ah);
    h[i] = (1 - z[i]!) * hPrev[i]! + z[i]! * hc[i]!;
    y += p[L.Wy + i]! * h[i]!;
  }
  return y;
}

/** Train a GRU on a series. Pure and deterministic given options.seed. Throws on unusable input. */
export function trainGru(series: readonly number[], options: GruTrainOptions = {}): GruWeights {
  const H = options.hidden ?? 12;
  const T = options.windowSteps ?? 32;
  const burnIn = options.burnInSteps ?? 8;
  const iterations = options.iterations ?? 100;
  const batch = options.batchSize ?? 8;
  const lr = options.learningRate ?? 0.01;
  const gradClip = options.gradientClip ?? 1;
  const huber = options.huberDelta ?? 0.5;
  checkParam(huber > 0, 'trainGru', `huberDelta must be > 0, got ${huber}`);
  checkParam(Number.isInteger(H) && H >= 1 && H <= 128, 'trainGru', `hidden must be an integer in [1, 128], got ${H}`);
  checkParam(Number.isInteger(T) && T >= 2, 'trainGru', `windowSteps must be an integer >= 2, got ${T}`);
  checkParam(Number.isInteger(burnIn) && burnIn >= 0 && burnIn < T - 1, 'trainGru', `burnInSteps must be an integer in [0, windowSteps - 1), got ${burnIn}`);
  checkParam(Number.isInteger(iterations) && iterations >= 1, 'trainGru', `iterations must be a positive integer, got ${iterations}`);
  checkParam(Number.isInteger(batch) && batch >= 1, 'trainGru', `batchSize must be a positive integer, got ${batch}`);
  checkParam(series.every((v) => Number.isFinite(v)), 'trainGru', 'series must contain only finite numbers');
  checkParam(series.length >= T + 1, 'trainGru', `series needs at least windowSteps + 1 = ${T + 1} values, got ${series.length}`);

  let mean = 0;
  for (const v of series) mean += v;
  mean /= series.length;
  let variance = 0;
  for (const v of series) variance += (v - mean) ** 2;
  const std = Math.max(Math.sqrt(variance / series.length), 1e-6 * Math.max(1, Math.abs(mean)));
  const normAlpha = options.normAlpha ?? 1 / 30;
  checkParam(normAlpha > 0 && normAlpha <= 1, 'trainGru', `normAlpha must be in (0, 1], got ${normAlpha}`);
  const stdFloor = 0.05 * std;
  // xs[t]: input at t; ts[t]: target (value at t + 1) in the same normalisation.
  const xs = new Float64Array(series.length);
  const ts = new Float64Array(series.length);
  const norm = createNorm(mean, std);
  for (let t = 0; t < series.length; t++) {
    normStep(norm, series[t]!, normAlpha);
    const sd = Math.max(Math.sqrt(norm.variance), stdFloor);
    xs[t] = clip((series[t]! - norm.mean) / sd);
    ts[t] = t + 1 < series.length ? clip((series[t + 1]! - norm.mean) / sd) : 0;
  }

  const L = layout(H);
  const rng = createPrng(options.seed ?? 1);
  const p = new Float64Array(L.size);
  const initScale = 1 / Math.sqrt(H);
  for (let i = 0; i < L.Wy; i++) p[i] = (rng.next() * 2 - 1) * initScale;
  for (let i = 0; i < H; i++) {
    p[L.bz + i] = -1; // Start with update gates mostly closed: a stable memory.
    p[L.br + i] = 0;
    p[L.bh + i] = 0;
    p[L.Wy + i] = (rng.next() * 2 - 1) * 0.01;
  }
  p[L.by] = 0;
  p[L.ws] = 1;

  const grad = new Float64Array(L.size);
  const m1 = new Float64Array(L.size);
  const m2 = new Float64Array(L.size);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;

  // Per-step activations for one window.
  const hs = Array.from({ length: T + 1 }, () => new Float64Array(H));
  const zs = Array.from({ length: T }, () => new Float64Array(H));
  const rs = Array.from({ length: T }, () => new Float64Array(H));
  const hcs = Array.from({ length: T }, () => new Float64Array(H));
  const rhs = Array.from({ length: T }, () => new Float64Array(H));
  const ys = new Float64Array(T);
  const dh = new Float64Array(H);
  const dhPrev = new Float64Array(H);
  const daz = new Float64Array(H);
  const dar = new Float64Array(H);
  const dah = new Float64Array(H);
  const drh = new Float64Array(H);

  const lossTrail: number[] = [];
  const maxStart = xs.length - T - 1;
  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    let loss = 0;
    let count = 0;
    for (let b = 0; b < batch; b++) {
      const start = Math.floor(rng.next() * (maxStart + 1));
      hs[0]!.fill(0);
      for (let t = 0; t < T; t++) {
        ys[t] = gruStep(p, L, xs[start + t]!, hs[t]!, hs[t + 1]!, zs[t]!, rs[t]!, hcs[t]!, rhs[t]!);
      }
      const scored = T - burnIn;
      dh.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const x = xs[start + t]!;
        const hPrev = hs[t]!, h = hs[t + 1]!, z = zs[t]!, r = rs[t]!, hc = hcs[t]!, rh = rhs[t]!;
        if (t >= burnIn) {
          const e = ys[t]! - ts[start + t]!;
          // Huber loss (delta = huberDelta): squared near 0, absolute beyond; robust to CPU spikes.
          const ae = Math.abs(e);
          loss += ae <= huber ? 0.5 * e * e : huber * (ae - 0.5 * huber);
          count += 1;
          const dy = (ae <= huber ? e : huber * Math.sign(e)) / (scored * batch);
          grad[L.by] = grad[L.by]! + dy;
          grad[L.ws] = grad[L.ws]! + dy * xs[start + t]!;
          for (let i = 0; i < H; i++) {
            grad[L.Wy + i] = grad[L.Wy + i]! + dy * h[i]!;
            dh[i] = dh[i]! + dy * p[L.Wy + i]!;
          }
        }
        for (let i = 0; i < H; i++) {
          const dz = dh[i]! * (hc[i]! - hPrev[i]!);
          const dhc = dh[i]! * z[i]!;
          dhPrev[i] = dh[i]! * (1 - z[i]!);
          dah[i] = dhc * (1 - hc[i]! * hc[i]!);
          daz[i] = dz * z[i]! * (1 - z[i]!);
        }
        drh.fill(0);
        for (let i = 0; i < H; i++) {
          const a = dah[i]!;
          grad[L.Wh + i] = grad[L.Wh + i]! + a * x;
          grad[L.bh + i] = grad[L.bh + i]! + a;
          const row = i * H;
          for (let j = 0; j < H; j++) {
            grad[L.Uh + row + j] = grad[L.Uh + row + j]! + a * rh[j]!;
            drh[j] = drh[j]! + p[L.Uh + row + j]! * a;
          }
        }
        for (let j = 0; j < H; j++) {
          dar[j] = drh[j]! * hPrev[j]! * r[j]! * (1 - r[j]!);
          dhPrev[j] = dhPrev[j]! + drh[j]! * r[j]!;
        }
        for (let i = 0; i < H; i++) {
          const az = daz[i]!;
          const ar = dar[i]!;
          grad[L.Wz + i] = grad[L.Wz + i]! + az * x;
          grad[L.bz + i] = grad[L.bz + i]! + az;
          grad[L.Wr + i] = grad[L.Wr + i]! + ar * x;
          grad[L.br + i] = grad[L.br + i]! + ar;
          const row = i * H;
          for (let j = 0; j < H; j++) {
            grad[L.Uz + row + j] = grad[L.Uz + row + j]! + az * hPrev[j]!;
            grad[L.Ur + row + j] = grad[L.Ur + row + j]! + ar * hPrev[j]!;
            dhPrev[j] = dhPrev[j]! + p[L.Uz + row + j]! * az + p[L.Ur + row + j]! * ar;
          }
        }
        dh.set(dhPrev);
      }
    }
    lossTrail.push(loss / Math.max(1, count));
    let norm = 0;
    for (let i = 0; i < L.size; i++) norm += grad[i]! * grad[i]!;
    norm = Math.sqrt(norm);
    const k = norm > gradClip ? gradClip / norm : 1;
    const c1 = 1 - Math.pow(beta1, it + 1);
    const c2 = 1 - Math.pow(beta2, it + 1);
    for (let i = 0; i < L.size; i++) {
      const g = grad[i]! * k;
      m1[i] = beta1 * m1[i]! + (1 - beta1) * g;
      m2[i] = beta2 * m2[i]! + (1 - beta2) * g * g;
      p[i] = p[i]! - (lr * (m1[i]! / c1)) / (Math.sqrt(m2[i]! / c2) + eps);
    }
  }
  const tail = lossTrail.slice(Math.floor(lossTrail.length * 0.9));
  const finalLoss = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
  return { kind: 'gru-weights', hidden: H, mean, std, normAlpha, stdFloor, params: Array.from(p), finalLoss };
}

const CLIP = 6;
const clip = (v: number) => (v > CLIP ? CLIP : v < -CLIP ? -CLIP : v);

interface NormState {
  mean: number;
  variance: number;
  started: boolean;
}

function createNorm(mean: number, std: number): NormState {
  return { mean, variance: std * std, started: false };
}

/** Causal EW mean/variance update with value v (the first value sets the mean). */
function normStep(n: NormState, v: number, alpha: number): void {
  if (!n.started) {
    n.mean = v;
    n.started = true;
    return;
  }
  const d = v - n.mean;
  n.mean += alpha * d;
  n.variance = (1 - alpha) * (n.variance + alpha * d * d);
}

function checkWeights(json: unknown): GruWeights {
  const what = 'gru-weights';
  const obj = asObject(json, what);
  expectKind(obj, what);
  const hidden = integerIn(obj, 'hidden', what, 1, 128);
  const std = finite(obj, 'std', what);
  checkParam(std > 0, what, 'std must be > 0');
  const normAlpha = finite(obj, 'normAlpha', what);
  checkParam(normAlpha > 0 && normAlpha <= 1, what, 'normAlpha must be in (0, 1]');
  const stdFloor = finite(obj, 'stdFloor', what);
  checkParam(stdFloor > 0, what, 'stdFloor must be > 0');
  return {
    kind: 'gru-weights',
    hidden,
    mean: finite(obj, 'mean', what),
    std,
    normAlpha,
    stdFloor,
    params: finiteArray(obj, 'params', what, layout(hidden).size),
    finalLoss: finite(obj, 'finalLoss', what),
  };
}

const MAX_ROLLOUT = 2000;

export class GruForecaster implements Forecaster {
  readonly name = 'gru';
  readonly weights: GruWeights;
  private readonly L: Layout;
  private readonly p: Float64Array;
  private h: Float64Array;
  private norm: NormState;
  /** Normalisation frozen at the last update: value = x * sd + mean. */
  private sd = 1;
  private lastX = 0;
  private nextX = 0;
  private seen = 0;
  private residuals = new ResidualRing();
  private rollout: Float64Array | undefined;
  private maxAskedSteps = 1;
  private readonly scratch: { h: Float64Array; z: Float64Array; r: Float64Array; hc: Float64Array; rh: Float64Array };

  /** Throws if the weights are malformed. */
  constructor(weights: GruWeights) {
    this.weights = checkWeights(weights);
    this.L = layout(this.weights.hidden);
    this.p = Float64Array.from(this.weights.params);
    const H = this.weights.hidden;
    this.h = new Float64Array(H);
    this.norm = createNorm(this.weights.mean, this.weights.std);
    this.scratch = { h: new Float64Array(H), z: new Float64Array(H), r: new Float64Array(H), hc: new Float64Array(H), rh: new Float64Array(H) };
  }

  update(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.seen > 0) this.residuals.push(value - this.denormalise(this.nextX));
    normStep(this.norm, value, this.weights.normAlpha);
    this.sd = Math.max(Math.sqrt(this.norm.variance), this.weights.stdFloor);
    const x = clip((value - this.norm.mean) / this.sd);
    const s = this.scratch;
    this.nextX = clip(gruStep(this.p, this.L, x, this.h, s.h, s.z, s.r, s.hc, s.rh));
    this.h.set(s.h);
    this.lastX = x;
    this.seen += 1;
    this.rollout = undefined;
  }

  private denormalise(x: number): number {
    return x * this.sd + this.norm.mean;
  }

  private ensureRollout(h: number): Float64Array {
    if (this.rollout && this.rollout.length >= h) return this.rollout;
    if (h > this.maxAskedSteps) this.maxAskedSteps = h;
    const len = Math.min(MAX_ROLLOUT, this.maxAskedSteps);
    const out = new Float64Array(len);
    const H = this.weights.hidden;
    let state = this.h.slice();
    let next = new Float64Array(H);
    const s = this.scratch;
    let x = this.nextX;
    out[0] = x;
    for (let k = 1; k < len; k++) {
      x = clip(gruStep(this.p, this.L, clip(x), state, next, s.z, s.r, s.hc, s.rh));
      if (!Number.isFinite(x)) x = out[k - 1]!;
      out[k] = x;
      const tmp = state;
      state = next;
      next = tmp;
    }
    this.rollout = out;
    return out;
  }

  forecast(horizonSteps: number): QuantileForecast {
    const h = Math.max(1, Math.round(horizonSteps));
    if (this.seen === 0) return { horizonSteps: h, p50: this.weights.mean, p90: this.weights.mean };
    const roll = this.ensureRollout(Math.min(h, MAX_ROLLOUT));
    const p50 = this.denormalise(roll[Math.min(h, roll.length) - 1]!);
    return { horizonSteps: h, p50, p90: p50 + Math.sqrt(h) * this.residuals.q90() };
  }

  toJSON() {
    return {
      kind: 'gru',
      weights: this.weights,
      h: Array.from(this.h),
      normMean: this.norm.mean,
      normVariance: this.norm.variance,
      normStarted: this.norm.started,
      sd: this.sd,
      lastX: this.lastX,
      nextX: this.nextX,
      seen: this.seen,
      residuals: this.residuals.toJSON(),
    };
  }

  static fromJSON(json: unknown): GruForecaster {
    const what = 'gru';
    const obj = asObject(json, what);
    expectKind(obj, what);
    const m = new GruForecaster(checkWeights(obj.weights));
    m.h.set(finiteArray(obj, 'h', what, m.weights.hidden));
    m.norm = { mean: finite(obj, 'normMean', what), variance: finite(obj, 'normVariance', what), started: obj.normStarted === true };
    m.sd = finite(obj, 'sd', what);
    m.lastX = finite(obj, 'lastX', what);
    m.nextX = finite(obj, 'nextX', what);
    m.seen = integerIn(obj, 'seen', what, 0);
    m.residuals = ResidualRing.fromJSON(asObject(obj.residuals, `${what}.residuals`) as unknown as ResidualRingJSON);
    return m;
  }
}
