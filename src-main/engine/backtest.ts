// Backtest every forecaster on one time series, and parse time-series CSV files for it. Pure: the CLI
// (`allot backtest file.csv [--column] [--horizon]`) reads the file and prints formatBacktestTable().
//
// Scoring: each model is fed the series one value at a time; after value i it forecasts horizon h, which
// is scored when the target arrives. Targets follow SeriesForecaster: for h <= maxPointSteps the value
// at i + h; beyond that the series is averaged into buckets of ceil(h / 30) steps and the target is the
// mean over the next h steps (models run on bucket means). MASE is the model's MAE divided by the MAE of
// the naive forecast (the last value, or last bucket mean) on the same targets. p90 coverage is the
// fraction of targets at or below the model's p90. The GRU is trained on the first `gruTrainFraction`
// of the (bucketed) series and scored only after it; the "selected" row is the online selector
// (SeriesForecaster, calibrated p90), which the GRU joins once trained. Its scores start at the first
// forecast, like every classical model's.

import type { Forecaster } from './forecast/types';
import { createDefaultForecasters } from './forecast/registry';
import { GruForecaster, trainGru, type GruTrainOptions, type GruWeights } from './forecast/gru';
import { SeriesForecaster, type SeriesForecasterOptions } from './forecast/selector';

export interface BacktestOptions {
  horizonSteps: number;
  seasonSteps?: number;
  /** Fresh models to test (default: createDefaultForecasters). */
  models?: () => Forecaster[];
  /** Train and include a GRU (default true when the series is long enough; false to skip). */
  gru?: boolean | GruTrainOptions;
  gruTrainFraction?: number;
  /** Include the online selector's row (default true). */
  selected?: boolean;
  maxPointSteps?: number;
  /** Target for horizons <= maxPointSteps: the value at i + h (default) or the mean over (i, i + h]. */
  shortTarget?: 'point' | 'window-mean';
  /** Ignore the first steps' forecasts (warm-up), default 0. */
  warmupSteps?: number;
  /** Clamp every model's p50 and p90 into [clampMin, clampMax] (e.g. 0..100 for CPU % of all cores). */
  clampMin?: number;
  clampMax?: number;
  /** Extra options for the online selector row (e.g. combineTop, errorWindow). */
  selector?: Pick<SeriesForecasterOptions, 'combineTop' | 'errorWindow' | 'minErrorSamples' | 'switchMargin'>;
}

export interface BacktestRow {
  model: string;
  mae: number;
  /** MAE / naive MAE on the same targets (NaN if the naive MAE is 0). */
  mase: number;
  p90Coverage: number;
  /** Number of scored forecasts. */
  n: number;
}

function bucketize(series: readonly number[], bucket: number): number[] {
  if (bucket === 1) return [...series];
  const out: number[] = [];
  for (let i = 0; i + bucket <= series.length; i += bucket) {
    let s = 0;
    for (let k = 0; k < bucket; k++) s += series[i + k]!;
    out.push(s / bucket);
  }
  return out;
}

type Clamp = (v: number) => number;

function scoreModel(model: Forecaster, xs: readonly number[], h: number, windowMean: boolean, scoreFrom: number, clamp: Clamp): BacktestRow {
  let sumAbs = 0;
  let sumNaive = 0;
  let covered = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    model.update(xs[i]!);
    if (i < scoreFrom || i + h >= xs.length) continue;
    let p50 = 0;
    let p90 = 0;
    let actual = 0;
    if (windowMean) {
      for (let k = 1; k <= h; k++) {
        const f = model.forecast(k);
        p50 += clamp(f.p50);
        p90 += clamp(f.p90);
        actual += xs[i + k]!;
      }
      p50 /= h;
      p90 /= h;
      actual /= h;
    } else {
      const f = model.forecast(h);
      p50 = clamp(f.p50);
      p90 = clamp(f.p90);
      actual = xs[i + h]!;
    }
    sumAbs += Math.abs(actual - p50);
    sumNaive += Math.abs(actual - xs[i]!);
    if (actual <= p90) covered += 1;
    n += 1;
  }
  return { model: model.name, mae: n ? sumAbs / n : NaN, mase: sumNaive > 0 ? sumAbs / sumNaive : NaN, p90Coverage: n ? covered / n : NaN, n };
}

/** Run every model on the series. Throws on invalid options or non-finite values. */
export function backtest(series: readonly number[], options: BacktestOptions): BacktestRow[] {
  const h = options.horizonSteps;
  if (!Number.isInteger(h) || h < 1) throw new Error(`backtest: horizonSteps must be a positive integer, got ${h}`);
  const bad = series.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`backtest: value ${bad} is not a finite number`);
  const maxPoint = options.maxPointSteps ?? 60;
  const aggregate = h > maxPoint;
  const windowMean = aggregate || options.shortTarget === 'window-mean';
  const bucket = aggregate ? Math.ceil(h / 30) : 1;
  const hLevel = aggregate ? Math.max(1, Math.round(h / bucket)) : h;
  const xs = bucketize(series, bucket);
  const warmup = Math.ceil((options.warmupSteps ?? 0) / bucket);
  const factory = options.models ?? (() => createDefaultForecasters({ seasonSteps: bucket === 1 ? options.seasonSteps : undefined }));
  const lo = options.clampMin ?? -Infinity;
  const hi = options.clampMax ?? Infinity;
  if (!(lo <= hi)) throw new Error(`backtest: clampMin (${lo}) must not exceed clampMax (${hi})`);
  const clamp: Clamp = (v) => (v < lo ? lo : v > hi ? hi : v);
  const rows = factory().map((m) => scoreModel(m, xs, hLevel, windowMean, warmup, clamp));

  const trainEnd = Math.floor(xs.length * (options.gruTrainFraction ?? 0.3));
  const gruOptions: GruTrainOptions = typeof options.gru === 'object' ? options.gru : {};
  const window = gruOptions.windowSteps ?? 32;
  let weights: GruWeights | undefined;
  if (options.gru !== false && trainEnd >= window + 1) {
    weights = trainGru(xs.slice(0, trainEnd), gruOptions);
    rows.push(scoreModel(new GruForecaster(weights), xs, hLevel, windowMean, Math.max(warmup, trainEnd), clamp));
  }

  if (options.selected !== false) {
    const sf = new SeriesForecaster({
      stepMs: 1,
      horizonsMs: [h],
      maxPointSteps: maxPoint,
      shortTarget: options.shortTarget ?? 'point',
      errorWindow: 200,
      clampMin: options.clampMin,
      clampMax: options.clampMax,
      ...options.selector,
      ...(options.models ? { models: () => options.models!() } : { seasonSteps: options.seasonSteps }),
    });
    // As deployed: the GRU joins the selector once trained, warmed on the recent history.
    const joinAt = weights ? trainEnd * bucket : Infinity;
    for (let i = 0; i < series.length; i++) {
      if (i === joinAt && weights) {
        const gru = new GruForecaster(weights);
        for (const v of xs.slice(Math.max(0, trainEnd - 64), trainEnd)) gru.update(v);
        sf.addModel(gru, h);
      }
      sf.update(series[i]!);
    }
    const e = sf.errors(true)[0];
    if (e) rows.push({ ...e.output, model: 'selected (online)' });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------

export interface ParsedSeries {
  /** Name of the value column used. */
  column: string;
  timestampsMs: number[];
  values: number[];
}

/**
 * Parse `timestamp,value[,more columns]` CSV. The first line may be a header (any non-numeric first line);
 * `column` picks a value column by header name or by 1-based index among all columns (default: the second
 * column). Timestamps are numbers (ms, or s if all are below 1e11, converted to ms) or ISO-8601 dates,
 * and must increase. Throws an Error naming the line and the reason on bad input. Blank lines and lines
 * starting with # are skipped.
 */
export function parseSeriesCsv(text: string, column?: string | number): ParsedSeries {
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  let colIndex = 1;
  let colName = 'value';
  const timestamps: number[] = [];
  const values: number[] = [];
  let expectedCols: number | undefined;
  let started = false;
  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    const line = lines[li]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (!started) {
      started = true;
      const looksHeader = cells.length >= 2 && !isNumeric(cells[1]!) && parseTimestamp(cells[0]!) === undefined;
      if (looksHeader) {
        header = cells;
      }
      colIndex = resolveColumn(column, header, cells.length, lineNo);
      colName = header?.[colIndex] ?? `column ${colIndex + 1}`;
      expectedCols = cells.length;
      if (looksHeader) continue;
    }
    if (cells.length < 2) throw new Error(`line ${lineNo}: expected at least 2 columns (timestamp,value), got ${cells.length}`);
    if (expectedCols !== undefined && cells.length !== expectedCols) {
      throw new Error(`line ${lineNo}: expected ${expectedCols} columns, got ${cells.length}`);
    }
    const ts = parseTimestamp(cells[0]!);
    if (ts === undefined) throw new Error(`line ${lineNo}: timestamp ${JSON.stringify(cells[0])} is not a number or an ISO-8601 date`);
    const raw = cells[colIndex]!;
    if (!isNumeric(raw)) throw new Error(`line ${lineNo}: value ${JSON.stringify(raw)} in column "${colName}" is not a finite number`);
    const prev = timestamps[timestamps.length - 1];
    if (prev !== undefined && ts <= prev) throw new Error(`line ${lineNo}: timestamp ${cells[0]} does not increase (previous row is later or equal)`);
    timestamps.push(ts);
    values.push(Number(raw));
  }
  if (values.length === 0) throw new Error('no data rows: expected lines of timestamp,value');
  // Numeric timestamps that all look like seconds are converted to ms.
  if (timestamps.every((t) => t < 1e11) && !lines.some((l) => /\d-\d/.test(l.split(',')[0] ?? ''))) {
    for (let i = 0; i < timestamps.length; i++) timestamps[i] = timestamps[i]! * 1000;
  }
  return { column: colName, timestampsMs: timestamps, values };
}

function isNumeric(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

function parseTimestamp(s: string): number | undefined {
  if (isNumeric(s)) return Number(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

function resolveColumn(column: string | number | undefined, header: string[] | undefined, count: number, lineNo: number): number {
  if (column === undefined) return 1;
  if (typeof column === 'number' || /^\d+$/.test(column)) {
    const idx = Number(column) - 1;
    if (!Number.isInteger(idx) || idx < 1 || idx >= count) {
      throw new Error(`line ${lineNo}: column ${column} is out of range (value columns are 2..${count}; column 1 is the timestamp)`);
    }
    return idx;
  }
  if (!header) throw new Error(`line ${lineNo}: column "${column}" given by name but the file has no header line`);
  const idx = header.indexOf(column);
  if (idx < 1) throw new Error(`line ${lineNo}: no value column named "${column}" (header: ${header.join(', ')})`);
  return idx;
}

// ---------------------------------------------------------------------------------------------------------

/** An aligned text table of backtest rows: model | MAE | MASE | p90 cov | n. */
export function formatBacktestTable(rows: readonly BacktestRow[]): string {
  const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const mag = (v: number) => {
    if (!Number.isFinite(v)) return 'n/a';
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return v.toFixed(a >= 100 ? 1 : 3);
  };
  const table = [
    ['model', 'MAE', 'MASE', 'p90 cov', 'n'],
    ...rows.map((r) => [r.model, mag(r.mae), fmt(r.mase, 3), Number.isFinite(r.p90Coverage) ? `${(r.p90Coverage * 100).toFixed(1)}%` : 'n/a', String(r.n)]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  return table
    .map((r, ri) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}
