import { describe, expect, it } from 'vitest';
import {
  EwmaForecaster,
  HoltForecaster,
  HoltWintersForecaster,
  NaiveForecaster,
  SeasonalNaiveForecaster,
} from '../../../../src-main/engine/forecast/models';
import { RlsArForecaster } from '../../../../src-main/engine/forecast/rls-ar';
import { DecayingHistogramForecaster } from '../../../../src-main/engine/forecast/histogram';
import { createDefaultForecasters, restoreForecaster } from '../../../../src-main/engine/forecast/registry';
import { createPrng } from '../../../../src-main/engine/forecast/prng';
import type { Forecaster } from '../../../../src-main/engine/forecast/types';

function allModels(): Forecaster[] {
  return [
    new NaiveForecaster(),
    new SeasonalNaiveForecaster(12),
    new EwmaForecaster(0.3),
    new HoltForecaster(),
    new HoltWintersForecaster({ seasonSteps: 12 }),
    new RlsArForecaster({ order: 3 }),
    new DecayingHistogramForecaster({ halfLifeSteps: 50 }),
  ];
}

function feed(model: Forecaster, values: readonly number[]): void {
  for (const v of values) model.update(v);
}

describe('every model', () => {
  it('forecasts a constant series as that constant, with p90 >= p50 and no NaN', () => {
    for (const model of allModels()) {
      feed(model, Array.from({ length: 100 }, () => 42));
      for (const h of [1, 5, 30, 300]) {
        const f = model.forecast(h);
        expect(f.horizonSteps).toBe(h);
        // The histogram answers bin midpoints (2 % relative resolution).
        expect(f.p50, `${model.name} h=${h}`).toBeCloseTo(42, model.name.startsWith('decaying') ? -0.5 : 6);
        expect(f.p90).toBeGreaterThanOrEqual(f.p50);
        expect(Number.isNaN(f.p90)).toBe(false);
      }
    }
  });

  it('answers 0 before the first value and ignores non-finite input', () => {
    for (const model of allModels()) {
      expect(Number.isNaN(model.forecast(5).p50)).toBe(false);
      model.update(10);
      model.update(Number.NaN);
      model.update(Number.POSITIVE_INFINITY);
      expect(model.forecast(1).p50, model.name).toBeCloseTo(10, model.name.startsWith('decaying') ? -0.5 : 6);
    }
  });

  it('round-trips through JSON with identical forecasts afterwards', () => {
    const rng = createPrng(3);
    const series = Array.from({ length: 300 }, (_, i) => 50 + 10 * Math.sin(i / 3) + rng.normal() * 2 + i * 0.05);
    for (const model of allModels()) {
      feed(model, series.slice(0, 200));
      const restored = restoreForecaster(JSON.parse(JSON.stringify(model.toJSON())));
      expect(restored.ok, model.name).toBe(true);
      if (!restored.ok) continue;
      expect(restored.model.name).toBe(model.name);
      for (const v of series.slice(200)) {
        model.update(v);
        restored.model.update(v);
        for (const h of [1, 7, 30]) expect(restored.model.forecast(h)).toEqual(model.forecast(h));
      }
    }
  });

  it('refuses malformed JSON with a reason instead of throwing', () => {
    expect(restoreForecaster(null)).toEqual({ ok: false, error: 'unknown model kind undefined' });
    expect(restoreForecaster({ kind: 'bogus' }).ok).toBe(false);
    const ewma = new EwmaForecaster(0.3).toJSON() as Record<string, unknown>;
    const bad = restoreForecaster({ ...ewma, alpha: 'x' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('alpha');
    const hw = new HoltWintersForecaster({ seasonSteps: 4 }).toJSON() as Record<string, unknown>;
    const short = restoreForecaster({ ...hw, seasonal: [1, 2] });
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.error).toContain('seasonal');
  });

  it('rejects invalid parameters', () => {
    expect(() => new EwmaForecaster(0)).toThrow(/alpha/);
    expect(() => new SeasonalNaiveForecaster(1)).toThrow(/seasonSteps/);
    expect(() => new HoltForecaster({ phi: 1.5 })).toThrow(/phi/);
    expect(() => new RlsArForecaster({ order: 0 })).toThrow(/order/);
    expect(() => new DecayingHistogramForecaster({ halfLifeSteps: 0 })).toThrow(/halfLife/);
  });
});

describe('naive', () => {
  it('forecasts the last value and reacts to a step change at once', () => {
    const m = new NaiveForecaster();
    feed(m, [1, 1, 1, 9]);
    expect(m.forecast(10).p50).toBe(9);
  });

  it('p90 is calibrated on a random walk at 1 and 5 steps (sqrt(h) growth)', () => {
    const rng = createPrng(11);
    const m = new NaiveForecaster();
    let y = 0;
    const ys: number[] = [];
    for (let i = 0; i < 30_000; i++) ys.push((y += rng.normal()));
    const covered = { 1: 0, 5: 0 };
    let n = 0;
    for (let i = 0; i + 5 < ys.length; i++) {
      m.update(ys[i]!);
      if (i < 200) continue;
      n += 1;
      if (ys[i + 1]! <= m.forecast(1).p90) covered[1] += 1;
      if (ys[i + 5]! <= m.forecast(5).p90) covered[5] += 1;
    }
    expect(covered[1] / n).toBeGreaterThan(0.87);
    expect(covered[1] / n).toBeLessThan(0.93);
    expect(covered[5] / n).toBeGreaterThan(0.86);
    expect(covered[5] / n).toBeLessThan(0.94);
  });
});

describe('seasonal naive', () => {
  it('repeats a pure seasonal pattern exactly at any horizon', () => {
    const pattern = [3, 1, 4, 1, 5, 9, 2, 6];
    const m = new SeasonalNaiveForecaster(8);
    const series = Array.from({ length: 37 }, (_, i) => pattern[i % 8]!);
    feed(m, series);
    for (const h of [1, 2, 8, 9, 20]) expect(m.forecast(h).p50).toBe(pattern[(37 - 1 + h) % 8]);
  });
});

describe('EWMA', () => {
  it('converges to the new level after a step change', () => {
    const m = new EwmaForecaster(0.3);
    feed(m, Array.from({ length: 50 }, () => 10));
    feed(m, Array.from({ length: 50 }, () => 20));
    expect(m.forecast(1).p50).toBeCloseTo(20, 4);
  });

  it('p90 is calibrated on white noise (coverage 90 % +- 2 %)', () => {
    const rng = createPrng(5);
    const m = new EwmaForecaster(0.1);
    let covered = 0;
    let n = 0;
    let prevP90: number | undefined;
    for (let i = 0; i < 20_000; i++) {
      const v = 100 + 5 * rng.normal();
      if (prevP90 !== undefined && i > 300) {
        n += 1;
        if (v <= prevP90) covered += 1;
      }
      m.update(v);
      prevP90 = m.forecast(1).p90;
    }
    expect(covered / n).toBeGreaterThan(0.88);
    expect(covered / n).toBeLessThan(0.92);
  });
});

describe('Holt', () => {
  it('extrapolates a linear trend exactly when undamped', () => {
    const m = new HoltForecaster({ alpha: 0.5, beta: 0.3, phi: 1 });
    feed(m, Array.from({ length: 100 }, (_, i) => 5 + 2 * i));
    // Last value 5 + 2*99 = 203.
    expect(m.forecast(1).p50).toBeCloseTo(205, 6);
    expect(m.forecast(10).p50).toBeCloseTo(223, 6);
  });

  it('damps the trend: the long-horizon forecast levels off', () => {
    const m = new HoltForecaster({ alpha: 0.5, beta: 0.3, phi: 0.9 });
    feed(m, Array.from({ length: 100 }, (_, i) => 2 * i));
    const far = m.forecast(1000).p50;
    // Sum of 0.9^k for k >= 1 is 9: the forecast stops at most ~9 trend steps ahead of the level.
    expect(m.forecast(2000).p50).toBeCloseTo(far, 6);
    expect(far).toBeGreaterThan(198);
    expect(far).toBeLessThan(198 + 10 * 2);
  });
});

describe('Holt-Winters', () => {
  it('learns a seasonal pattern on a trend', () => {
    const season = 12;
    const m = new HoltWintersForecaster({ seasonSteps: season, alpha: 0.3, beta: 0.1, gamma: 0.3, phi: 1 });
    const y = (i: number) => 50 + 0.5 * i + 10 * Math.sin((2 * Math.PI * i) / season);
    feed(m, Array.from({ length: 240 }, (_, i) => y(i)));
    for (const h of [1, 6, 12]) expect(Math.abs(m.forecast(h).p50 - y(239 + h))).toBeLessThan(0.5);
  });
});

describe('default set', () => {
  it('adds the seasonal models only with a season length', () => {
    expect(createDefaultForecasters().some((m) => m.name.startsWith('seasonal'))).toBe(false);
    const names = createDefaultForecasters({ seasonSteps: 10 }).map((m) => m.name);
    expect(names).toContain('seasonal-naive(10)');
    expect(names).toContain('holt-winters(10)');
    expect(names[0]).toBe('naive');
  });
});
