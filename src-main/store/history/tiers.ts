// History tiers: bucket widths and how long each is kept (finest first), checked once, and which
// tier answers a query. Pure: no database.

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface TierConfig {
  /** Bucket width; each tier's width must be a multiple of the previous one's. */
  bucketMs: number;
  retentionMs: number;
}

export const DEFAULT_TIERS: readonly TierConfig[] = [
  { bucketMs: 10 * SECOND_MS, retentionMs: 2 * DAY_MS },
  { bucketMs: MINUTE_MS, retentionMs: 30 * DAY_MS },
  { bucketMs: HOUR_MS, retentionMs: 365 * DAY_MS },
];

/** A query without a resolution gets the finest tier that holds its range in at most this many buckets. */
export const MAX_AUTO_POINTS = 1500;

export function validateTiers(tiers: readonly TierConfig[]): string | undefined {
  if (tiers.length === 0) return 'at least one tier is needed';
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i] as TierConfig;
    if (!Number.isInteger(t.bucketMs) || t.bucketMs < 1000) return `tier ${i}: bucketMs must be an integer >= 1000`;
    if (!Number.isFinite(t.retentionMs) || t.retentionMs < t.bucketMs) return `tier ${i}: retentionMs must be >= bucketMs`;
    const prev = tiers[i - 1];
    if (prev) {
      if (t.bucketMs <= prev.bucketMs || t.bucketMs % prev.bucketMs !== 0) {
        return `tier ${i}: bucketMs ${t.bucketMs} must be a larger multiple of ${prev.bucketMs}`;
      }
      if (prev.retentionMs < 2 * t.bucketMs) {
        return `tier ${i - 1}: retentionMs must cover two buckets of the next tier (${2 * t.bucketMs} ms) so it can be rolled up`;
      }
    }
  }
  return undefined;
}

/** Tiers from the user's history settings. */
export function tiersFromSettings(h: { retention10sMs: number; retention1mMs: number; retention1hMs: number }): TierConfig[] {
  return [
    { bucketMs: 10 * SECOND_MS, retentionMs: h.retention10sMs },
    { bucketMs: MINUTE_MS, retentionMs: h.retention1mMs },
    { bucketMs: HOUR_MS, retentionMs: h.retention1hMs },
  ];
}

/**
 * The tier that answers a range query. With a resolution: the first tier at least that coarse (else
 * the coarsest). Without: the first tier that still keeps `fromMs` (as of `nowMs`) and holds the range
 * in at most MAX_AUTO_POINTS buckets (else the coarsest).
 */
export function pickTier(tiers: readonly TierConfig[], fromMs: number, toMs: number, nowMs: number, resolutionMs?: number): TierConfig {
  if (resolutionMs !== undefined) {
    return tiers.find((t) => t.bucketMs >= resolutionMs) ?? (tiers[tiers.length - 1] as TierConfig);
  }
  const span = Math.max(0, toMs - fromMs);
  return (
    tiers.find((t) => fromMs >= nowMs - t.retentionMs && span / t.bucketMs <= MAX_AUTO_POINTS) ??
    (tiers[tiers.length - 1] as TierConfig)
  );
}

/** The tier the hour-of-week histogram reads: of the tiers that divide an hour, the one kept longest (the last on a tie), else the finest. */
export function hourOfWeekTier(tiers: readonly TierConfig[]): TierConfig {
  const candidates = tiers.filter((t) => t.bucketMs <= HOUR_MS && HOUR_MS % t.bucketMs === 0);
  return candidates.reduce<TierConfig | undefined>((best, t) => (!best || t.retentionMs >= best.retentionMs ? t : best), undefined) ?? (tiers[0] as TierConfig);
}
