import { describe, expect, it } from 'vitest';
import { backtest, formatBacktestTable, parseSeriesCsv } from '../../../src-main/engine/backtest';
import { EwmaForecaster, NaiveForecaster } from '../../../src-main/engine/forecast/models';

describe('backtest', () => {
  it('computes MAE, MASE, p90 coverage and n by hand on a tiny series', () => {
    const rows = backtest([1, 2, 3, 4, 5, 6], {
      horizonSteps: 1,
      models: () => [new NaiveForecaster(), new EwmaForecaster(0.5)],
      gru: false,
      selected: false,
    });
    expect(rows.map((r) => r.model)).toEqual(['naive', 'ewma(0.5)']);
    const [naive, ewma] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(naive).toEqual({ model: 'naive', mae: 1, mase: 1, p90Coverage: 0.8, n: 5 });
    // EWMA levels 1, 1.5, 2.25, 3.125, 4.0625 against 2..6: errors 1, 1.5, 1.75, 1.875, 1.9375.
    expect(ewma.mae).toBeCloseTo(8.0625 / 5, 12);
    expect(ewma.mase).toBeCloseTo(8.0625 / 5, 12);
    expect(ewma.n).toBe(5);
  });

  it('scores window means beyond maxPointSteps', () => {
    const rows = backtest([0, 0, 0, 0, 4, 4, 4, 4], { horizonSteps: 4, maxPointSteps: 2, models: () => [new NaiveForecaster()], gru: false, selected: false });
    // Targets mean(x1..x4)=1, mean(x2..x5)=2, mean(x3..x6)=3, mean(x4..x7)=4; naive says 0 each time.
    expect(rows[0]).toMatchObject({ model: 'naive', mae: 2.5, mase: 1, n: 4 });
  });

  it('scores window means at short horizons on request, and clamps forecasts', () => {
    const rows = backtest([0, 0, 0, 0, 4, 4, 4, 4], { horizonSteps: 4, shortTarget: 'window-mean', models: () => [new NaiveForecaster()], gru: false, selected: false });
    expect(rows[0]).toMatchObject({ mae: 2.5, mase: 1, n: 4 });
    const clamped = backtest([-1, -1, -1, -1], { horizonSteps: 1, clampMin: 0, models: () => [new NaiveForecaster()], gru: false, selected: false });
    // Naive says -1, clamped to 0: every error is 1, the unclamped naive baseline's is 0.
    expect(clamped[0]).toMatchObject({ mae: 1, n: 3 });
    expect(clamped[0]!.mase).toBeNaN();
    expect(() => backtest([1, 2], { horizonSteps: 1, clampMin: 5, clampMax: 1 })).toThrow(/clampMin/);
  });

  it('includes the GRU and the online selector by default on long series', () => {
    const series = Array.from({ length: 400 }, (_, i) => 10 + 5 * Math.sin(i / 3));
    const rows = backtest(series, { horizonSteps: 5, gru: { iterations: 20, hidden: 4, seed: 1 } });
    const names = rows.map((r) => r.model);
    expect(names).toContain('gru');
    expect(names).toContain('selected (online)');
    const gru = rows.find((r) => r.model === 'gru')!;
    // Trained on the first 30 %, scored after it.
    expect(gru.n).toBe(400 - 120 - 5);
  });

  it('refuses bad options and values', () => {
    expect(() => backtest([1, 2, 3], { horizonSteps: 0 })).toThrow(/horizonSteps/);
    expect(() => backtest([1, Number.NaN, 3], { horizonSteps: 1 })).toThrow(/value 1/);
  });
});

describe('parseSeriesCsv', () => {
  it('reads a header, picks columns by name or index, converts seconds to ms', () => {
    const text = 'timestamp,cpu,rss\n1,10,100\n2,20,200\n\n# comment\n3,30,300\n';
    expect(parseSeriesCsv(text)).toEqual({ column: 'cpu', timestampsMs: [1000, 2000, 3000], values: [10, 20, 30] });
    expect(parseSeriesCsv(text, 'rss').values).toEqual([100, 200, 300]);
    expect(parseSeriesCsv(text, 3).values).toEqual([100, 200, 300]);
    expect(parseSeriesCsv(text, '2').column).toBe('cpu');
  });

  it('reads header-less files with ms and ISO timestamps', () => {
    expect(parseSeriesCsv('1700000000000,1.5\n1700000001000,2.5').timestampsMs).toEqual([1700000000000, 1700000001000]);
    const iso = parseSeriesCsv('2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,2');
    expect(iso.timestampsMs).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1000]);
    expect(iso.column).toBe('column 2');
  });

  it('names the line and the reason on bad input', () => {
    expect(() => parseSeriesCsv('t,v\n1,2\n2,abc\n')).toThrow('line 3: value "abc" in column "v" is not a finite number');
    expect(() => parseSeriesCsv('t,v\n1,2\n1,3\n')).toThrow(/line 3: timestamp 1 does not increase/);
    expect(() => parseSeriesCsv('t,v\n1,2\nxyz,3\n')).toThrow(/line 3: timestamp "xyz"/);
    expect(() => parseSeriesCsv('t,v,w\n1,2,3\n2,3\n')).toThrow('line 3: expected 3 columns, got 2');
    expect(() => parseSeriesCsv('t,v\n1,2\n', 'nope')).toThrow(/no value column named "nope"/);
    expect(() => parseSeriesCsv('1,2\n', 'v')).toThrow(/no header line/);
    expect(() => parseSeriesCsv('t,v\n1,2\n', 1)).toThrow(/out of range/);
    expect(() => parseSeriesCsv('t,v\n')).toThrow(/no data rows/);
    expect(() => parseSeriesCsv('5\n')).toThrow(/line 1: expected at least 2 columns/);
  });
});

describe('formatBacktestTable', () => {
  it('prints an aligned table', () => {
    const text = formatBacktestTable([
      { model: 'naive', mae: 1, mase: 1, p90Coverage: 0.8, n: 5 },
      { model: 'holt-winters(12)', mae: 123456789, mase: Number.NaN, p90Coverage: 0.91234, n: 12345 },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[0]).toMatch(/^model\s+MAE\s+MASE\s+p90 cov\s+n$/);
    expect(lines[2]).toContain('80.0%');
    expect(lines[3]).toContain('1.235e+8');
    expect(lines[3]).toContain('n/a');
    expect(lines[3]).toContain('91.2%');
  });
});
