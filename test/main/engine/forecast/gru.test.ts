import { describe, expect, it } from 'vitest';
import { GruForecaster, trainGru } from '../../../../src-main/engine/forecast/gru';
import { NaiveForecaster } from '../../../../src-main/engine/forecast/models';
import { restoreForecaster } from '../../../../src-main/engine/forecast/registry';

const sine = Array.from({ length: 600 }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 20));

describe('trainGru', () => {
  it('learns a sine wave better than naive (MASE < 1), out of sample', () => {
    const weights = trainGru(sine.slice(0, 400), { seed: 7, iterations: 150 });
    const gru = new GruForecaster(weights);
    const naive = new NaiveForecaster();
    let gruErr = { 1: 0, 5: 0 };
    let naiveErr = { 1: 0, 5: 0 };
    for (let i = 0; i + 5 < sine.length; i++) {
      gru.update(sine[i]!);
      naive.update(sine[i]!);
      if (i < 400) continue;
      for (const h of [1, 5] as const) {
        gruErr[h] += Math.abs(sine[i + h]! - gru.forecast(h).p50);
        naiveErr[h] += Math.abs(sine[i + h]! - naive.forecast(h).p50);
      }
    }
    expect(gruErr[1] / naiveErr[1]).toBeLessThan(0.5);
    expect(gruErr[5] / naiveErr[5]).toBeLessThan(1);
    gruErr = { 1: 0, 5: 0 };
    naiveErr = { 1: 0, 5: 0 };
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = trainGru(sine.slice(0, 200), { seed: 3, iterations: 20, hidden: 6 });
    const b = trainGru(sine.slice(0, 200), { seed: 3, iterations: 20, hidden: 6 });
    const c = trainGru(sine.slice(0, 200), { seed: 4, iterations: 20, hidden: 6 });
    expect(b).toEqual(a);
    expect(c.params).not.toEqual(a.params);
    // Plain data: survives structured clone (worker threads) and JSON.
    expect(structuredClone(a)).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('refuses unusable input with a reason', () => {
    expect(() => trainGru([1, 2, 3], {})).toThrow(/at least/);
    expect(() => trainGru([...sine.slice(0, 100), Number.NaN], {})).toThrow(/finite/);
    expect(() => trainGru(sine, { hidden: 0 })).toThrow(/hidden/);
    expect(() => new GruForecaster({ kind: 'gru-weights', hidden: 4, mean: 0, std: 1, normAlpha: 0.1, stdFloor: 0.1, params: [1, 2], finalLoss: 0 })).toThrow(/params/);
  });
});

describe('GruForecaster', () => {
  it('round-trips through JSON with identical forecasts', () => {
    const gru = new GruForecaster(trainGru(sine.slice(0, 200), { seed: 1, iterations: 30, hidden: 8 }));
    for (const v of sine.slice(0, 250)) gru.update(v);
    const restored = restoreForecaster(JSON.parse(JSON.stringify(gru.toJSON())));
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    for (const v of sine.slice(250, 300)) {
      gru.update(v);
      restored.model.update(v);
      for (const h of [1, 5, 30]) expect(restored.model.forecast(h)).toEqual(gru.forecast(h));
    }
  });
});
