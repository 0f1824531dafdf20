import { describe, expect, it } from 'vitest';
import { DecayingHistogramForecaster } from '../../../../src-main/engine/forecast/histogram';

describe('decaying histogram', () => {
  it('answers the quantiles of the recent value distribution', () => {
    const m = new DecayingHistogramForecaster({ halfLifeSteps: 100_000 });
    for (let r = 0; r < 20; r++) for (let v = 1; v <= 100; v++) m.update(v);
    const f = m.forecast(5);
    expect(f.p50).toBeGreaterThan(48);
    expect(f.p50).toBeLessThan(52);
    expect(f.p90).toBeGreaterThan(88);
    expect(f.p90).toBeLessThan(92);
  });

  it('forgets: after a step change the median moves once the old values decayed', () => {
    const m = new DecayingHistogramForecaster({ halfLifeSteps: 20 });
    for (let i = 0; i < 200; i++) m.update(10);
    for (let i = 0; i < 19; i++) m.update(200);
    expect(m.forecast(1).p50).toBeCloseTo(10, -0.5);
    for (let i = 0; i < 10; i++) m.update(200);
    expect(m.forecast(1).p50).toBeCloseTo(200, -1);
  });

  it('handles negative values and zero, and survives renormalisation', () => {
    const m = new DecayingHistogramForecaster({ halfLifeSteps: 1 });
    for (let i = 0; i < 2000; i++) m.update(i % 2 === 0 ? -5 : 0);
    const f = m.forecast(1);
    expect(Number.isFinite(f.p50)).toBe(true);
    expect(f.p90).toBeGreaterThanOrEqual(f.p50);
    expect(m.quantile(0.01)).toBeCloseTo(-5, -0.5);
  });
});
