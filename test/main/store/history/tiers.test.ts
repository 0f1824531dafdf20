// Tiers (src-main/store/history/tiers.ts): their checks, the settings' tiers, and which tier answers a query.
import { describe, expect, it } from 'vitest';
import { hourOfWeekTier, pickTier, tiersFromSettings, validateTiers, type TierConfig } from '../../../../src-main/store/history/tiers';
import { DAY, HOUR, MIN, T0, TIERS } from '../fixtures/history';

describe('tiers', () => {
  it('refuses inconsistent tiers', () => {
    expect(validateTiers(TIERS)).toBeUndefined();
    expect(validateTiers([])).toMatch(/at least one/);
    expect(validateTiers([{ bucketMs: 10_000, retentionMs: DAY }, { bucketMs: 15_000, retentionMs: DAY }])).toMatch(/multiple/);
    expect(validateTiers([{ bucketMs: 10_000, retentionMs: 30_000 }, { bucketMs: MIN, retentionMs: DAY }])).toMatch(/two buckets/);
  });

  it('builds 10 s, 1 min and 1 h tiers from the settings', () => {
    expect(tiersFromSettings({ retention10sMs: DAY, retention1mMs: 2 * DAY, retention1hMs: 3 * DAY })).toEqual([
      { bucketMs: 10_000, retentionMs: DAY },
      { bucketMs: MIN, retentionMs: 2 * DAY },
      { bucketMs: HOUR, retentionMs: 3 * DAY },
    ]);
  });

  it('answers a query with a resolution from the first tier at least that coarse', () => {
    expect(pickTier(TIERS, T0, T0 + HOUR, T0, 10_000)).toBe(TIERS[0]);
    expect(pickTier(TIERS, T0, T0 + HOUR, T0, 30_000)).toBe(TIERS[1]);
    expect(pickTier(TIERS, T0, T0 + HOUR, T0, 2 * HOUR)).toBe(TIERS[2]);
  });

  it('answers a query without one from the finest tier that still keeps its start in at most 1,500 buckets', () => {
    const now = T0 + 10 * DAY;
    expect(pickTier(TIERS, now - HOUR, now, now)).toBe(TIERS[0]);
    expect(pickTier(TIERS, now - 5 * HOUR, now, now)).toBe(TIERS[1]); // 1,800 buckets of 10 s
    expect(pickTier(TIERS, now - 2 * DAY, now - 2 * DAY + MIN, now)).toBe(TIERS[1]); // the 10 s tier no longer keeps it
    expect(pickTier(TIERS, now - 8 * DAY, now, now)).toBe(TIERS[2]);
    expect(pickTier(TIERS, now - 400 * DAY, now, now)).toBe(TIERS[2]); // nothing keeps it: the coarsest
  });

  it('reads the hour-of-week histogram from the longest-kept tier that divides an hour', () => {
    expect(hourOfWeekTier(TIERS)).toBe(TIERS[2]);
    const noHour: TierConfig[] = [{ bucketMs: 10_000, retentionMs: DAY }, { bucketMs: MIN, retentionMs: 7 * DAY }, { bucketMs: 7 * HOUR, retentionMs: 365 * DAY }];
    expect(hourOfWeekTier(noHour)).toBe(noHour[1]);
    const tie: TierConfig[] = [{ bucketMs: 10_000, retentionMs: DAY }, { bucketMs: MIN, retentionMs: DAY }];
    expect(hourOfWeekTier(tie)).toBe(tie[1]);
    const none: TierConfig[] = [{ bucketMs: 7 * MIN, retentionMs: DAY }];
    expect(hourOfWeekTier(none)).toBe(none[0]);
  });
});
