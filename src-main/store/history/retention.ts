// Retention and the size cap: what the history deletes, and when.
// - Retention deletes buckets older than each tier keeps (process rows and identities with the finest tier).
// - The size cap deletes the oldest rows of the finest tier first (only rows already rolled up into the
//   next tier), then the next tier, and so on, measuring the file as (page_count - freelist_count) *
//   page_size after `PRAGMA incremental_vacuum`.
import type { Db } from '../db';
import { INFO_REFRESH_MS, pragmaNumber, transaction } from './schema';
import type { TierConfig } from './tiers';

/** Delete one tier's rows older than `beforeMs`; for the finest tier also process rows and identities not seen since. */
function deleteTierBefore(db: Db, tier: TierConfig, tierIndex: number, beforeMs: number): void {
  db.prepare('DELETE FROM history_system WHERE tier_ms = ? AND bucket_ms < ?').run(tier.bucketMs, beforeMs);
  db.prepare('DELETE FROM history_program WHERE tier_ms = ? AND bucket_ms < ?').run(tier.bucketMs, beforeMs);
  if (tierIndex === 0) {
    db.prepare('DELETE FROM history_process WHERE bucket_ms < ?').run(beforeMs);
    db.prepare('DELETE FROM history_process_info WHERE last_seen_ms < ?').run(beforeMs - INFO_REFRESH_MS);
  }
}

/** Delete every tier's buckets older than it keeps as of `nowMs`, in one transaction. */
export function applyRetention(db: Db, tiers: readonly TierConfig[], nowMs: number): void {
  transaction(db, () => {
    tiers.forEach((tier, i) => deleteTierBefore(db, tier, i, nowMs - tier.retentionMs));
  });
}

/** Bytes in use: pages not on the free list, after returning free pages to the file system. */
export function usedBytes(db: Db): number {
  db.exec('PRAGMA incremental_vacuum');
  const pageSize = pragmaNumber(db, 'page_size');
  return (pragmaNumber(db, 'page_count') - pragmaNumber(db, 'freelist_count')) * pageSize;
}

function oldestBucket(db: Db, tiers: readonly TierConfig[], tierIndex: number): number | undefined {
  const tier = tiers[tierIndex] as TierConfig;
  const candidates = [
    (db.prepare('SELECT min(bucket_ms) FROM history_system WHERE tier_ms = ?').raw().get(tier.bucketMs) as unknown[])[0],
    (db.prepare('SELECT min(bucket_ms) FROM history_program WHERE tier_ms = ?').raw().get(tier.bucketMs) as unknown[])[0],
    tierIndex === 0 ? (db.prepare('SELECT min(bucket_ms) FROM history_process').raw().get() as unknown[])[0] : null,
  ].filter((v): v is number => typeof v === 'number');
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}

/**
 * One step of the size cap: delete a tier's rows before the returned time. About a tenth of what is
 * left between `oldestMs` and `newestMs`, at least one bucket of the next tier, never past `deletableBeforeMs`.
 */
export function pruneBefore(tier: TierConfig, next: TierConfig | undefined, oldestMs: number, newestMs: number, deletableBeforeMs: number): number {
  const chunkMs = Math.max(next?.bucketMs ?? tier.bucketMs, Math.ceil((newestMs - oldestMs) / 10 / tier.bucketMs) * tier.bucketMs);
  return Math.min(oldestMs + chunkMs, deletableBeforeMs);
}

export interface SizeCapInput {
  tiers: readonly TierConfig[];
  sizeCapBytes: number;
  /** Each coarser tier's roll-up watermark: finer rows before it are folded in and may go. */
  rolledUpTo: ReadonlyMap<number, number>;
  lastSampleAt: number | undefined;
}

export function enforceSizeCap(db: Db, input: SizeCapInput): void {
  const { tiers, sizeCapBytes, rolledUpTo, lastSampleAt } = input;
  if (!Number.isFinite(sizeCapBytes)) return;
  let size = usedBytes(db);
  for (let tierIndex = 0; tierIndex < tiers.length && size > sizeCapBytes; tierIndex++) {
    const tier = tiers[tierIndex] as TierConfig;
    const next = tiers[tierIndex + 1];
    // Only rows already folded into the next tier may go; the coarsest tier may lose anything.
    const deletableBefore = next ? rolledUpTo.get(next.bucketMs) ?? 0 : Number.POSITIVE_INFINITY;
    for (let step = 0; step < 200 && size > sizeCapBytes; step++) {
      const oldest = oldestBucket(db, tiers, tierIndex);
      if (oldest === undefined || oldest >= deletableBefore) break;
      const newest = Math.min(deletableBefore, (lastSampleAt ?? oldest) + 1);
      const before = pruneBefore(tier, next, oldest, newest, deletableBefore);
      transaction(db, () => deleteTierBefore(db, tier, tierIndex, before));
      size = usedBytes(db);
    }
  }
}
