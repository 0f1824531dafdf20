// Forecast benchmark: every model on the recorded traces of real programs (test/fixtures/traces, 1 s
// steps, recorded by test/bench/record-traces.ts). Prints, per horizon (5 s, 30 s, 5 min):
//   - per model, pooled over the CPU traces: MASE against naive (sum |err| / sum |naive err|) and p90
//     coverage; the GRU is trained on the first 30 % of each trace and scored after it;
//   - per trace: the online selector's MASE and p90 coverage (goal at 5 s: MASE <= 0.85, coverage 85-95 %);
//   - inference cost: microseconds per update + forecast, scaled to 1,000 series.
// Run: npx tsx test/bench/forecast.bench.ts

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { backtest, parseSeriesCsv, type BacktestRow } from '../../src-main/engine/backtest';
import { createDefaultForecasters } from '../../src-main/engine/forecast/registry';
import { GruForecaster, trainGru } from '../../src-main/engine/forecast/gru';
import { SeriesForecaster } from '../../src-main/engine/forecast/selector';
import type { Forecaster } from '../../src-main/engine/forecast/types';

const TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'traces');
const HORIZONS = [
  { label: '5 s', steps: 5 },
  { label: '30 s', steps: 30 },
  { label: '5 min', steps: 300 },
] as const;

interface Trace {
  name: string;
  cpu: number[];
  rss: number[];
}

function loadTraces(): Trace[] {
  return readdirSync(TRACES_DIR)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(TRACES_DIR, f), 'utf8');
      return { name: f.replace(/\.csv$/, ''), cpu: parseSeriesCsv(text, 'cpu_percent').values, rss: parseSeriesCsv(text, 'rss_bytes').values };
    });
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((_, c) => Math.max(header[c]!.length, ...rows.map((r) => r[c]!.length)));
  console.log(`\n${title}`);
  console.log(pad(header, widths));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(pad(r, widths));
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
const num = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');

interface Pooled {
  sumAbs: number;
  sumNaive: number;
  covered: number;
  n: number;
}

function pool(into: Map<string, Pooled>, rows: BacktestRow[]): void {
  for (const r of rows) {
    if (r.n === 0) continue;
    const p = into.get(r.model) ?? { sumAbs: 0, sumNaive: 0, covered: 0, n: 0 };
    p.sumAbs += r.mae * r.n;
    p.sumNaive += Number.isFinite(r.mase) && r.mase > 0 ? (r.mae * r.n) / r.mase : 0;
    p.covered += r.p90Coverage * r.n;
    p.n += r.n;
    into.set(r.model, p);
  }
}

function main(): void {
  const traces = loadTraces();
  console.log(`traces: ${traces.map((t) => `${t.name} (${t.cpu.length} s)`).join(', ')}`);
  console.log('series: cpu_percent of each trace at 1 s; targets: value at t+h for 5 s and 30 s, mean over (t, t+5 min] for 5 min');

  const perTrace: string[][] = [];
  const pooledByHorizon = new Map<string, Map<string, Pooled>>();
  const goal = { ok: true };
  for (const hz of HORIZONS) {
    const pooled = new Map<string, Pooled>();
    pooledByHorizon.set(hz.label, pooled);
    for (const t of traces) {
      // System CPU is % of all cores (0-100); process-tree CPU is per-core % (0-100 x cores).
      const clampMax = t.name.startsWith('system') ? 100 : undefined;
      const rows = backtest(t.cpu, { horizonSteps: hz.steps, gru: { seed: 1 }, clampMin: 0, clampMax });
      pool(pooled, rows);
      const sel = rows.find((r) => r.model === 'selected (online)')!;
      const best = rows.filter((r) => r.model !== 'selected (online)' && r.n > 0 && Number.isFinite(r.mase)).sort((a, b) => a.mase - b.mase)[0];
      perTrace.push([hz.label, t.name, num(sel.mase), pct(sel.p90Coverage), String(sel.n), best ? `${best.model} ${num(best.mase)}` : 'n/a']);
      if (hz.steps === 5 && !(sel.mase <= 0.85 && sel.p90Coverage >= 0.85 && sel.p90Coverage <= 0.95)) goal.ok = false;
    }
  }

  const modelNames = [...(pooledByHorizon.get('5 s')?.keys() ?? [])];
  printTable(
    'Per model, pooled over all CPU traces (MASE vs naive at the same horizon | p90 coverage | n)',
    ['model', ...HORIZONS.flatMap((h) => [`MASE ${h.label}`, `p90 ${h.label}`, `n ${h.label}`])],
    modelNames.map((m) => [
      m,
      ...HORIZONS.flatMap((h) => {
        const p = pooledByHorizon.get(h.label)?.get(m);
        if (!p || p.n === 0) return ['n/a', 'n/a', '0'];
        return [num(p.sumNaive > 0 ? p.sumAbs / p.sumNaive : NaN), pct(p.covered / p.n), String(p.n)];
      }),
    ]),
  );

  printTable('Online selector per trace (goal at 5 s: MASE <= 0.85, p90 coverage 85-95 %)', ['horizon', 'trace', 'MASE', 'p90 cov', 'n', 'best single model (MASE)'], perTrace);
  console.log(`\ngoal at 5 s met on every trace: ${goal.ok ? 'yes' : 'NO'}`);

  // Smoothed targets: the same traces with 5 s and 30 s targets defined as the mean over (t, t + H].
  const smoothRows: string[][] = [];
  for (const hz of HORIZONS.slice(0, 2)) {
    for (const t of traces) {
      const clampMax = t.name.startsWith('system') ? 100 : undefined;
      const rows = backtest(t.cpu, { horizonSteps: hz.steps, gru: { seed: 1 }, clampMin: 0, clampMax, shortTarget: 'window-mean' });
      const sel = rows.find((r) => r.model === 'selected (online)')!;
      smoothRows.push([hz.label, t.name, num(sel.mase), pct(sel.p90Coverage), String(sel.n)]);
    }
  }
  printTable('Online selector, smoothed targets (mean over the next 5 s / 30 s; MASE vs last value)', ['horizon', 'trace', 'MASE', 'p90 cov', 'n'], smoothRows);

  // RSS: smooth series; one line per trace for the selector at 5 s and 30 s.
  const rssRows: string[][] = [];
  for (const t of traces) {
    for (const hz of HORIZONS.slice(0, 2)) {
      const rows = backtest(t.rss, { horizonSteps: hz.steps, gru: false, clampMin: 0 });
      const sel = rows.find((r) => r.model === 'selected (online)')!;
      rssRows.push([hz.label, t.name, num(sel.mase), pct(sel.p90Coverage), String(sel.n)]);
    }
  }
  printTable('Online selector on rss_bytes', ['horizon', 'trace', 'MASE', 'p90 cov', 'n'], rssRows);

  // Inference cost: update + forecast at 5 and 30 steps, per series, scaled to 1,000 series.
  const series = traces.flatMap((t) => t.cpu);
  const costRows: string[][] = [];
  const timeModel = (make: () => Forecaster): number => {
    const m = make();
    for (const v of series.slice(0, 200)) m.update(v);
    const reps = 3;
    const start = performance.now();
    let sink = 0;
    for (let r = 0; r < reps; r++) {
      for (const v of series) {
        m.update(v);
        sink += m.forecast(5).p50 + m.forecast(30).p90;
      }
    }
    const us = ((performance.now() - start) * 1000) / (reps * series.length);
    if (!Number.isFinite(sink)) console.log('(non-finite forecast seen)');
    return us;
  };
  const names = createDefaultForecasters().map((m) => m.name);
  for (let i = 0; i < names.length; i++) {
    const us = timeModel(() => createDefaultForecasters()[i]!);
    costRows.push([names[i]!, us.toFixed(2), (us * 1000).toFixed(0)]);
  }
  const weights = trainGru(series.slice(0, 400), { seed: 1 });
  const gruUs = timeModel(() => new GruForecaster(weights));
  costRows.push(['gru (12 hidden)', gruUs.toFixed(2), (gruUs * 1000).toFixed(0)]);
  {
    const sf = new SeriesForecaster({ stepMs: 1000, clampMin: 0 });
    sf.addModel(new GruForecaster(weights));
    for (const v of series.slice(0, 400)) sf.update(v);
    const start = performance.now();
    let sink = 0;
    for (const v of series) {
      sf.update(v);
      sink += sf.forecast().length;
    }
    const us = ((performance.now() - start) * 1000) / series.length;
    void sink;
    costRows.push(['SeriesForecaster (all models + gru, 3 horizons, selection)', us.toFixed(2), (us * 1000).toFixed(0)]);
  }
  const trainStart = performance.now();
  trainGru(series.slice(0, 400), { seed: 1 });
  const trainMs = performance.now() - trainStart;
  printTable('Inference cost (update + forecast at 5 and 30 steps)', ['model', 'µs per series', 'µs per 1,000 series'], costRows);
  console.log(`\nGRU training (400 values, 100 iterations x 8 windows of 32 steps, 12 hidden): ${trainMs.toFixed(0)} ms`);
}

main();
