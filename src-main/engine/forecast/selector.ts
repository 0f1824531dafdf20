// Online model selection for one series sampled every `stepMs`.
//
// Every model is fed every observation. At each issue time every model's forecast for every horizon is
// queued; when the horizon's actual value arrives the absolute error, the naive baseline's error and
// whether the actual fell at or below p90 are folded into exponentially weighted rolling statistics
// (effective window `errorWindow` evaluations). Per horizon the model with the lowest rolling MAE (with at
// least `minErrorSamples` evaluations) is selected.
//
// What p50/p90 mean at each horizon H (converted to h = H / stepMs steps):
// - h <= maxPointSteps (default 60; 5 s and 30 s at a 1 s step): the value at exactly t + H. p50 is the
//   median forecast, p90 the level the value stays at or below with 90 % probability.
// - with shortTarget 'window-mean', those short horizons forecast the mean over (t, t + H] instead.
// - h > maxPointSteps (5 min at a 1 s step): the MEAN of the series over the window (t, t + H]. The series
//   is aggregated into buckets of b = ceil(h / aggregateSteps) steps (10 s for 5 min at 1 s) and a
//   separate model set runs on bucket means; the forecast is issued when a bucket completes and
//   answered until the next one completes (so it can be up to b - 1 steps old).
// The output p50 is the selected model's p50 (or the mean of the best `combineTop` models' p50s). The
// output p90 is calibrated conformally: output p50 + the 90th percentile of the output's own recent
// signed out-of-sample errors (actual - p50) at that horizon, once it has 20 of them; before that the
// (mean of the) selected models' own p90. MASE here is relative MAE: the model's rolling MAE divided by the rolling MAE of the
// naive forecast (last value) for the same target at the same horizon, so < 1 beats naive.

import type { Forecaster } from './types';
import { FORECAST_HORIZONS_MS } from './types';
import { ResidualRing } from './residuals';
import { createDefaultForecasters } from './registry';

export interface SeriesForecasterOptions {
  stepMs: number;
  horizonsMs?: readonly number[];
  /** Season length in base steps (adds seasonal models at the base level). */
  seasonSteps?: number;
  maxPointSteps?: number;
  /** Aggregated horizons are cut into about this many buckets. */
  aggregateSteps?: number;
  /**
   * 'point' (default): horizons up to maxPointSteps forecast the value at t + H. 'window-mean': they
   * forecast the mean over (t, t + H] like the long horizons (smoother target; what a planner that asks
   * "how much will this need over the next 30 s" wants).
   */
  shortTarget?: ForecastTarget;
  errorWindow?: number;
  minErrorSamples?: number;
  /** The output p50 is the mean of the p50s of the `combineTop` models with the lowest rolling MAE. */
  combineTop?: number;
  /** Hysteresis: keep the current model unless another's rolling MAE is lower by this fraction (default 0: on
   * the recorded traces any margin made the choice worse, see the benchmark notes). */
  switchMargin?: number;
  /** Clamp every forecast into [clampMin, clampMax] (e.g. 0 for CPU% and bytes). */
  clampMin?: number;
  clampMax?: number;
  /** Model factory per level (bucketSteps = 1 for the base level). Default: createDefaultForecasters. */
  models?: (bucketSteps: number) => Forecaster[];
}

export type ForecastTarget = 'point' | 'window-mean';

export interface SeriesForecast {
  horizonMs: number;
  horizonSteps: number;
  target: ForecastTarget;
  /** Length of the window the target averages over (stepMs for point targets). */
  windowMs: number;
  model: string;
  p50: number;
  p90: number;
}

export interface ModelErrorRow {
  model: string;
  /** Rolling mean absolute error of p50. */
  mae: number;
  /** Rolling MAE / rolling naive MAE at the same horizon (NaN when the naive MAE is 0). */
  mase: number;
  /** Rolling fraction of actuals <= p90. */
  p90Coverage: number;
  /** Evaluations so far. */
  n: number;
}

export interface HorizonErrors {
  horizonMs: number;
  target: ForecastTarget;
  selected: string;
  /** The selector's own output (selected model per issue time, calibrated p90). */
  output: ModelErrorRow;
  models: ModelErrorRow[];
}

interface RollingStats {
  n: number;
  mae: number;
  naiveMae: number;
  coverage: number;
  /** Lifetime sums (for backtests and benchmarks). */
  sumAbs: number;
  sumNaiveAbs: number;
  sumCovered: number;
}

function newStats(): RollingStats {
  return { n: 0, mae: 0, naiveMae: 0, coverage: 0, sumAbs: 0, sumNaiveAbs: 0, sumCovered: 0 };
}

function fold(s: RollingStats, window: number, absErr: number, naiveAbsErr: number, covered: boolean): void {
  s.n += 1;
  const a = Math.max(1 / window, 1 / s.n);
  s.mae += a * (absErr - s.mae);
  s.naiveMae += a * (naiveAbsErr - s.naiveMae);
  s.coverage += a * ((covered ? 1 : 0) - s.coverage);
  s.sumAbs += absErr;
  s.sumNaiveAbs += naiveAbsErr;
  s.sumCovered += covered ? 1 : 0;
}

function row(model: string, s: RollingStats, lifetime = false): ModelErrorRow {
  if (lifetime) {
    const n = Math.max(1, s.n);
    return { model, mae: s.sumAbs / n, mase: s.sumNaiveAbs > 0 ? s.sumAbs / s.sumNaiveAbs : NaN, p90Coverage: s.sumCovered / n, n: s.n };
  }
  return { model, mae: s.mae, mase: s.naiveMae > 0 ? s.mae / s.naiveMae : NaN, p90Coverage: s.coverage, n: s.n };
}

interface Pending {
  /** Level step index at which the target window is complete. */
  due: number;
  p50: Float64Array;
  p90: Float64Array;
  naive: number;
  outP50: number;
  outP90: number;
}

interface HorizonTracker {
  horizonMs: number;
  /** Output residuals (actual - output p50), for the conformal p90. */
  outCalib: ResidualRing;
  /** Steps ahead at this level. */
  steps: number;
  target: ForecastTarget;
  queue: Pending[];
  stats: RollingStats[];
  output: RollingStats;
  selected: number;
  current: SeriesForecast | undefined;
}

interface Level {
  bucketSteps: number;
  models: Forecaster[];
  trackers: HorizonTracker[];
  /** Recent level values (ring), for window-mean actuals. */
  recent: Float64Array;
  /** Number of level values seen. */
  count: number;
  bucketSum: number;
  bucketN: number;
  last: number;
  /** Each model's one-step p50 made at the previous level step, and rolling one-step MAE: the fallback
   * ranking while no model has enough scored forecasts at a horizon (long horizons score late). */
  prevOneStep: Float64Array;
  oneStep: RollingStats[];
}

export class SeriesForecaster {
  readonly stepMs: number;
  private readonly opts: Required<Omit<SeriesForecasterOptions, 'seasonSteps' | 'clampMin' | 'clampMax' | 'models'>> &
    Pick<SeriesForecasterOptions, 'seasonSteps' | 'clampMin' | 'clampMax'>;
  private readonly levels: Level[] = [];

  /** Throws on invalid options (non-positive step, horizon shorter than a step). */
  constructor(options: SeriesForecasterOptions) {
    const stepMs = options.stepMs;
    if (!(stepMs > 0) || !Number.isFinite(stepMs)) throw new Error(`SeriesForecaster: stepMs must be a positive number, got ${stepMs}`);
    this.stepMs = stepMs;
    this.opts = {
      stepMs,
      horizonsMs: options.horizonsMs ?? FORECAST_HORIZONS_MS,
      seasonSteps: options.seasonSteps,
      maxPointSteps: options.maxPointSteps ?? 60,
      aggregateSteps: options.aggregateSteps ?? 30,
      errorWindow: options.errorWindow ?? 200,
      minErrorSamples: options.minErrorSamples ?? 10,
      shortTarget: options.shortTarget ?? 'point',
      combineTop: Math.max(1, Math.floor(options.combineTop ?? 1)),
      switchMargin: Math.max(0, options.switchMargin ?? 0),
      clampMin: options.clampMin,
      clampMax: options.clampMax,
    };
    const factory = options.models ?? ((bucketSteps: number) => createDefaultForecasters({ seasonSteps: bucketSteps === 1 ? options.seasonSteps : undefined }));
    for (const horizonMs of this.opts.horizonsMs) {
      const h = Math.round(horizonMs / stepMs);
      if (h < 1) throw new Error(`SeriesForecaster: horizon ${horizonMs} ms is shorter than one step (${stepMs} ms)`);
      const bucketSteps = h <= this.opts.maxPointSteps ? 1 : Math.ceil(h / this.opts.aggregateSteps);
      let level = this.levels.find((l) => l.bucketSteps === bucketSteps);
      if (!level) {
        const models = factory(bucketSteps);
        if (models.length === 0) throw new Error('SeriesForecaster: the model factory returned no models');
        level = {
          bucketSteps, models, trackers: [], recent: new Float64Array(1), count: 0, bucketSum: 0, bucketN: 0, last: 0,
          prevOneStep: new Float64Array(models.length).fill(NaN), oneStep: models.map(() => newStats()),
        };
        this.levels.push(level);
      }
      const steps = bucketSteps === 1 ? h : Math.max(1, Math.round(h / bucketSteps));
      level.trackers.push({
        horizonMs,
        steps,
        target: bucketSteps === 1 ? this.opts.shortTarget : 'window-mean',
        queue: [],
        outCalib: new ResidualRing(128),
        stats: level.models.map(() => newStats()),
        output: newStats(),
        selected: 0,
        current: undefined,
      });
    }
    for (const level of this.levels) level.recent = new Float64Array(Math.max(...level.trackers.map((t) => t.steps)) + 1);
  }

  /**
   * Put `model` in place of the model with the same name (a retrained GRU), keeping that slot's
   * accuracy record, which goes on from there; adds it when there is none. Returns true when it replaced.
   */
  replaceModel(model: Forecaster, horizonMs?: number): boolean {
    const level = horizonMs === undefined ? this.levels[0] : this.levels.find((l) => l.trackers.some((t) => t.horizonMs === horizonMs));
    const index = level ? level.models.findIndex((m) => m.name === model.name) : -1;
    if (!level || index < 0) {
      this.addModel(model, horizonMs);
      return false;
    }
    level.models[index] = model;
    // Its last one-step forecast was the old model's.
    level.prevOneStep[index] = NaN;
    return true;
  }

  /** Add a model (e.g. a freshly trained GRU) to the level that serves `horizonMs` (default: the shortest). */
  addModel(model: Forecaster, horizonMs?: number): void {
    const level = horizonMs === undefined ? this.levels[0] : this.levels.find((l) => l.trackers.some((t) => t.horizonMs === horizonMs));
    if (!level) throw new Error(`SeriesForecaster: no horizon ${horizonMs} ms`);
    level.models.push(model);
    const grown = new Float64Array(level.models.length).fill(NaN);
    grown.set(level.prevOneStep);
    level.prevOneStep = grown;
    level.oneStep.push(newStats());
    for (const t of level.trackers) {
      t.stats.push(newStats());
      for (const p of t.queue) {
        // Forecasts issued before the model existed count as not made: NaN is skipped when scored.
        const grow = (a: Float64Array) => { const b = new Float64Array(a.length + 1); b.set(a); b[a.length] = NaN; return b; };
        p.p50 = grow(p.p50);
        p.p90 = grow(p.p90);
      }
    }
  }

  modelNames(horizonMs?: number): string[] {
    const level = horizonMs === undefined ? this.levels[0] : this.levels.find((l) => l.trackers.some((t) => t.horizonMs === horizonMs));
    return level ? level.models.map((m) => m.name) : [];
  }

  private clamp(v: number): number {
    let x = v;
    if (this.opts.clampMin !== undefined && x < this.opts.clampMin) x = this.opts.clampMin;
    if (this.opts.clampMax !== undefined && x > this.opts.clampMax) x = this.opts.clampMax;
    return x;
  }

  /** Feed the next observation. Non-finite values are ignored. */
  update(value: number): void {
    if (!Number.isFinite(value)) return;
    for (const level of this.levels) {
      level.bucketSum += value;
      level.bucketN += 1;
      if (level.bucketN < level.bucketSteps) continue;
      const v = level.bucketSum / level.bucketN;
      level.bucketSum = 0;
      level.bucketN = 0;
      this.levelStep(level, v);
    }
  }

  private levelStep(level: Level, v: number): void {
    level.recent[level.count % level.recent.length] = v;
    level.count += 1;
    level.last = v;
    // Score forecasts that are now due.
    for (const t of level.trackers) {
      while (t.queue.length > 0 && t.queue[0]!.due <= level.count - 1) {
        const p = t.queue.shift()!;
        const actual = this.actual(level, t, p.due);
        const naiveErr = Math.abs(actual - p.naive);
        for (let m = 0; m < level.models.length; m++) {
          const p50 = p.p50[m]!;
          if (Number.isNaN(p50)) continue;
          fold(t.stats[m]!, this.opts.errorWindow, Math.abs(actual - p50), naiveErr, actual <= p.p90[m]!);
        }
        fold(t.output, this.opts.errorWindow, Math.abs(actual - p.outP50), naiveErr, actual <= p.outP90);
        t.outCalib.push(actual - p.outP50);
      }
    }
    for (let m = 0; m < level.models.length; m++) {
      const prev = level.prevOneStep[m]!;
      if (!Number.isNaN(prev)) fold(level.oneStep[m]!, this.opts.errorWindow, Math.abs(v - prev), 0, true);
      level.models[m]!.update(v);
      level.prevOneStep[m] = level.models[m]!.forecast(1).p50;
    }
    // Issue new forecasts.
    const n = level.models.length;
    for (const t of level.trackers) {
      const p50 = new Float64Array(n);
      const p90 = new Float64Array(n);
      for (let m = 0; m < n; m++) {
        const model = level.models[m]!;
        if (t.target === 'point') {
          const f = model.forecast(t.steps);
          p50[m] = this.clamp(f.p50);
          p90[m] = Math.max(p50[m]!, this.clamp(f.p90));
        } else {
          let s50 = 0;
          let s90 = 0;
          for (let k = 1; k <= t.steps; k++) {
            const f = model.forecast(k);
            s50 += this.clamp(f.p50);
            s90 += this.clamp(f.p90);
          }
          p50[m] = s50 / t.steps;
          p90[m] = Math.max(p50[m]!, s90 / t.steps);
        }
      }
      const ranked = this.rank(level, t);
      // Hysteresis: the incumbent stays first unless the leader beats it by switchMargin.
      const incumbent = t.selected;
      const leader = ranked[0]!;
      const inc = t.stats[incumbent]!;
      const lead = t.stats[leader]!;
      if (
        leader !== incumbent &&
        inc.n >= this.opts.minErrorSamples &&
        lead.n >= this.opts.minErrorSamples &&
        lead.mae >= inc.mae * (1 - this.opts.switchMargin)
      ) {
        ranked.splice(ranked.indexOf(incumbent), 1);
        ranked.unshift(incumbent);
      }
      const sel = ranked[0]!;
      t.selected = sel;
      const top = ranked.slice(0, this.opts.combineTop);
      let outP50 = 0;
      let ownP90 = 0;
      for (const m of top) {
        outP50 += p50[m]!;
        ownP90 += p90[m]!;
      }
      outP50 /= top.length;
      ownP90 /= top.length;
      const outP90 = t.outCalib.n >= 20 ? Math.max(outP50, this.clamp(outP50 + t.outCalib.q90())) : Math.max(outP50, ownP90);
      t.queue.push({ due: level.count - 1 + t.steps, p50, p90, naive: v, outP50, outP90 });
      t.current = {
        horizonMs: t.horizonMs,
        horizonSteps: Math.round(t.horizonMs / this.stepMs),
        target: t.target,
        windowMs: t.target === 'point' ? this.stepMs : t.steps * level.bucketSteps * this.stepMs,
        model: top.map((m) => level.models[m]!.name).join(' + '),
        p50: outP50,
        p90: outP90,
      };
    }
  }

  /** The actual value of a target that completes at level step `due`. */
  private actual(level: Level, t: HorizonTracker, due: number): number {
    const len = level.recent.length;
    if (t.target === 'point') return level.recent[due % len]!;
    let sum = 0;
    for (let k = due - t.steps + 1; k <= due; k++) sum += level.recent[k % len]!;
    return sum / t.steps;
  }

  /**
   * Model indices, best first: by rolling MAE at this horizon once a model has minErrorSamples scored
   * forecasts there; models without enough come after, ranked by their one-step rolling MAE at this level
   * (or in list order, naive first, before they have that).
   */
  private rank(level: Level, t: HorizonTracker): number[] {
    const min = this.opts.minErrorSamples;
    const key = (m: number): [number, number] => {
      const s = t.stats[m]!;
      if (s.n >= min) return [0, s.mae];
      const o = level.oneStep[m]!;
      if (o.n >= min) return [1, o.mae];
      return [2, m];
    };
    const keys = t.stats.map((_, m) => key(m));
    return t.stats.map((_, m) => m).sort((a, b) => keys[a]![0] - keys[b]![0] || keys[a]![1] - keys[b]![1] || a - b);
  }

  /** The current forecast at every horizon (empty until the first value, or first bucket, arrives). */
  forecast(): SeriesForecast[] {
    const out: SeriesForecast[] = [];
    for (const level of this.levels) for (const t of level.trackers) if (t.current) out.push(t.current);
    return out.sort((a, b) => a.horizonMs - b.horizonMs);
  }

  /**
   * Rolling out-of-sample errors of every model at every horizon, for the UI. With `lifetime`, plain
   * averages over every evaluation since the start instead of the rolling window (backtests, benchmarks).
   */
  errors(lifetime = false): HorizonErrors[] {
    const out: HorizonErrors[] = [];
    for (const level of this.levels) {
      for (const t of level.trackers) {
        out.push({
          horizonMs: t.horizonMs,
          target: t.target,
          selected: level.models[t.selected]!.name,
          output: row('selected', t.output, lifetime),
          models: level.models.map((m, i) => row(m.name, t.stats[i]!, lifetime)),
        });
      }
    }
    return out.sort((a, b) => a.horizonMs - b.horizonMs);
  }
}
