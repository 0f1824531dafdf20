// Profile views (src-main/core/profile-views.ts): quantile summaries for the contract.
import { describe, expect, it } from 'vitest';
import { quantiles } from '../../../src-main/core/profile-views';
import { qsAdd, qsCreate } from '../../../src-main/engine/quantiles';

describe('profile views', () => {
  it('gives nulls, not NaN or infinities, for a set with nothing in it', () => {
    expect(quantiles(qsCreate())).toEqual({ count: 0, mean: 0, p50: null, p90: null, p99: null, max: null });
  });

  it('summarizes a set with values', () => {
    const set = qsCreate();
    for (let i = 1; i <= 100; i++) qsAdd(set, i);
    const summary = quantiles(set);
    expect(summary).toMatchObject({ count: 100, mean: 50.5, max: 100 });
    expect(summary.p50).toBeGreaterThan(40);
    expect(summary.p50).toBeLessThan(60);
    expect(summary.p99).toBeGreaterThan(summary.p90!);
  });
});
