import { describe, expect, it } from 'vitest';
import { SeriesForecaster } from '../../../../src-main/engine/forecast/selector';
import { EwmaForecaster, HoltForecaster, NaiveForecaster } from '../../../../src-main/engine/forecast/models';
import { DecayingHistogramForecaster } from '../../../../src-main/engine/forecast/histogram';
import { createPrng } from '../../../../src-main/engine/forecast/prng';

const small = () => [new NaiveForecaster(), new EwmaForecaster(0.15), new DecayingHistogramForecaster({ halfLifeSteps: 1000 }), new HoltForecaster()];

describe('SeriesForecaster', () => {
  it('picks a seasonal model on a seasonal series', () => {
    const rng = createPrng(1);
    const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000], seasonSteps: 20 });
    for (let i = 0; i < 2000; i++) sf.update(50 + 20 * Math.sin((2 * Math.PI * i) / 20) + 0.5 * rng.normal());
    const [e] = sf.errors();
    expect(e!.selected).toMatch(/seasonal-naive|holt-winters/);
    expect(e!.output.mase).toBeLessThan(0.5);
  });

  it('picks naive on a random walk', () => {
    const rng = createPrng(2);
    const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000], models: small });
    let y = 100;
    for (let i = 0; i < 3000; i++) sf.update((y += rng.normal()));
    expect(sf.errors()[0]!.selected).toBe('naive');
  });

  it('picks a smoother on white noise, beats naive and calibrates p90 to ~90 %', () => {
    const rng = createPrng(3);
    const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000], models: small });
    for (let i = 0; i < 20_000; i++) sf.update(30 + 4 * rng.normal());
    const [e] = sf.errors(true);
    expect(e!.selected).not.toBe('naive');
    expect(e!.output.mase).toBeLessThan(0.85);
    expect(e!.output.p90Coverage).toBeGreaterThan(0.87);
    expect(e!.output.p90Coverage).toBeLessThan(0.93);
    const naiveRow = e!.models.find((m) => m.model === 'naive')!;
    expect(naiveRow.mase).toBeCloseTo(1, 6);
    expect(naiveRow.n).toBe(e!.output.n);
  });

  it('answers 5 s, 30 s and 5 min; 5 min is a window mean on 10 s buckets', () => {
    const sf = new SeriesForecaster({ stepMs: 1000, clampMin: 0 });
    expect(sf.forecast()).toEqual([]);
    const rng = createPrng(4);
    for (let i = 0; i < 1200; i++) sf.update(Math.max(0, 20 + 10 * rng.normal()));
    const f = sf.forecast();
    expect(f.map((x) => x.horizonMs)).toEqual([5000, 30000, 300000]);
    expect(f.map((x) => x.target)).toEqual(['point', 'point', 'window-mean']);
    expect(f[2]!.windowMs).toBe(300000);
    for (const x of f) {
      expect(x.p50).toBeGreaterThanOrEqual(0);
      expect(x.p90).toBeGreaterThanOrEqual(x.p50);
    }
    const errs = sf.errors();
    expect(errs).toHaveLength(3);
    // 1200 s of data: 5 min window forecasts issued every 10 s, scored 30 buckets later.
    expect(errs[2]!.output.n).toBe(120 - 30);
    expect(errs[0]!.output.n).toBe(1200 - 5);
  });

  it('scores an added model only on forecasts made after it joined', () => {
    const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000], models: () => [new NaiveForecaster()] });
    for (let i = 0; i < 100; i++) sf.update(i % 7);
    sf.addModel(new EwmaForecaster(0.2));
    for (let i = 0; i < 100; i++) sf.update(i % 7);
    const [e] = sf.errors(true);
    expect(e!.models.map((m) => m.model)).toEqual(['naive', 'ewma(0.2)']);
    expect(e!.models[0]!.n).toBe(195);
    // 100 forecasts issued since it joined; the last 5 are not due yet.
    expect(e!.models[1]!.n).toBe(95);
  });

  it('puts a retrained model in place of the one with its name, which then forecasts', () => {
    /** A model that always forecasts `level` (so which one is in place shows in the forecasts it makes). */
    const constant = (level: number) => ({
      name: 'fixed',
      update: () => undefined,
      forecast: (horizonSteps: number) => ({ horizonSteps, p50: level, p90: level }),
      toJSON: () => ({ level }),
    });
    const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000], models: () => [new NaiveForecaster()] });
    expect(sf.replaceModel(constant(10))).toBe(false);
    for (let i = 0; i < 60; i++) sf.update(50);
    expect(sf.replaceModel(constant(50))).toBe(true);
    for (let i = 0; i < 60; i++) sf.update(50);
    const [e] = sf.errors(true);
    // One slot for the name; its record goes on, and the new model's forecasts are exact.
    expect(e!.models.map((m) => m.model)).toEqual(['naive', 'fixed']);
    const before = e!.models[1]!;
    for (let i = 0; i < 200; i++) sf.update(50);
    const after = sf.errors(true)[0]!.models[1]!;
    expect(after.n).toBeGreaterThan(before.n);
    expect(after.mae).toBeLessThan(before.mae);
  });

  it('keeps the incumbent under hysteresis unless the challenger is better by the margin', () => {
    const run = (switchMargin: number) => {
      const rng = createPrng(6);
      const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000], switchMargin, models: () => [new NaiveForecaster(), new EwmaForecaster(0.15)] });
      // White noise (EWMA best), then a random walk (naive best, EWMA's MAE ~30 % higher).
      for (let i = 0; i < 2000; i++) sf.update(10 + rng.normal());
      let y = 10;
      for (let i = 0; i < 2000; i++) sf.update((y += rng.normal()));
      return sf.errors()[0]!.selected;
    };
    expect(run(0)).toBe('naive');
    expect(run(0.5)).toBe('ewma(0.15)');
  });

  it('can forecast window means at the short horizons too', () => {
    const sf = new SeriesForecaster({ stepMs: 1000, horizonsMs: [5000, 30000], shortTarget: 'window-mean' });
    for (let i = 0; i < 100; i++) sf.update(i % 10);
    const f = sf.forecast();
    expect(f.map((x) => [x.target, x.windowMs])).toEqual([['window-mean', 5000], ['window-mean', 30000]]);
    // The mean of a 0..9 saw-tooth over 30 s is 4.5; every model's window mean is near it.
    expect(Math.abs(f[1]!.p50 - 4.5)).toBeLessThan(1.5);
  });

  it('rejects invalid options', () => {
    expect(() => new SeriesForecaster({ stepMs: 0 })).toThrow(/stepMs/);
    expect(() => new SeriesForecaster({ stepMs: 10_000, horizonsMs: [1000] })).toThrow(/shorter/);
  });
});
