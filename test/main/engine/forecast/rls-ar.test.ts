import { describe, expect, it } from 'vitest';
import { RlsArForecaster } from '../../../../src-main/engine/forecast/rls-ar';
import { createPrng } from '../../../../src-main/engine/forecast/prng';

describe('RLS AR(p)', () => {
  it('recovers the coefficient and intercept of a known AR(1)', () => {
    const rng = createPrng(42);
    const m = new RlsArForecaster({ order: 1, lambda: 1 });
    let y = 20;
    for (let i = 0; i < 5000; i++) {
      y = 6 + 0.7 * y + rng.normal();
      m.update(y);
    }
    const { intercept, ar } = m.coefficients();
    expect(ar[0]).toBeGreaterThan(0.67);
    expect(ar[0]).toBeLessThan(0.73);
    // Mean = 6 / (1 - 0.7) = 20.
    expect(intercept / (1 - ar[0]!)).toBeCloseTo(20, 0);
    // h-step forecast reverts to the mean: 20 + 0.7^h (y - 20).
    expect(m.forecast(3).p50).toBeCloseTo(intercept * (1 + ar[0]! + ar[0]! ** 2) + ar[0]! ** 3 * y, 6);
    expect(Math.abs(m.forecast(200).p50 - 20)).toBeLessThan(0.5);
  });

  it('recovers AR(2) coefficients with forgetting', () => {
    const rng = createPrng(7);
    const m = new RlsArForecaster({ order: 2, lambda: 0.999 });
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < 8000; i++) {
      const y = 0.5 * y1 - 0.3 * y2 + rng.normal();
      m.update(y);
      y2 = y1;
      y1 = y;
    }
    const { ar } = m.coefficients();
    expect(ar[0]).toBeCloseTo(0.5, 1);
    expect(ar[1]).toBeCloseTo(-0.3, 1);
  });

  it('p90 is calibrated on AR(1) noise at one step', () => {
    const rng = createPrng(9);
    const m = new RlsArForecaster({ order: 1 });
    let y = 0;
    let covered = 0;
    let n = 0;
    for (let i = 0; i < 20_000; i++) {
      const next = 0.8 * y + rng.normal();
      if (i > 300) {
        n += 1;
        if (next <= m.forecast(1).p90) covered += 1;
      }
      m.update(next);
      y = next;
    }
    expect(covered / n).toBeGreaterThan(0.88);
    expect(covered / n).toBeLessThan(0.92);
  });

  it('stays finite on series in bytes and on a constant series', () => {
    const m = new RlsArForecaster();
    for (let i = 0; i < 500; i++) m.update(4e9 + (i % 7) * 1e6);
    expect(Number.isFinite(m.forecast(60).p50)).toBe(true);
    expect(Math.abs(m.forecast(1).p50 - (4e9 + (500 % 7) * 1e6))).toBeLessThan(2e6);
    const c = new RlsArForecaster();
    for (let i = 0; i < 5000; i++) c.update(3);
    expect(c.forecast(30).p50).toBeCloseTo(3, 6);
  });
});
