// History: the last minutes at full rate in memory (SampleRing), and downsampled tiers in SQLite.
// This is the façade the rest of Allot imports (`store/history`); the work is in the folder:
//   metrics.ts      the metric definitions, the single source of columns, aggregation and export docs
//   tiers.ts        tier widths and retention, their checks, and which tier answers a query
//   types.ts        the public types (options, status, rows, the History interface)
//   schema.ts       the tables, prepared statements and the row <-> SQL mapping
//   aggregation.ts  samples into buckets, buckets into coarser buckets (pure)
//   writer.ts       the batch, its one-transaction writes and roll-ups, pausing on write errors
//   retention.ts    retention and the size cap
//   queries.ts      the read side
// `append()` never throws: monitoring and the engine go on whatever happens to history.
import type { Sample } from '../../../src-shared/domain';
import { migrate } from '../db';
import { SampleRing } from '../ring';
import { addToOpen, bucketStart, closeOpen, openBucket, type AggregationOptions, type OpenBucket } from './aggregation';
import { createQueries } from './queries';
import { HISTORY_MIGRATIONS, ensureIncrementalVacuum, pragmaNumber, prepareStatements } from './schema';
import { DEFAULT_TIERS, validateTiers, type TierConfig } from './tiers';
import type { FlushResult, History, HistoryOptions } from './types';
import { createWriter } from './writer';

export {
  PROCESS_COLUMNS,
  PROCESS_METRICS,
  PROGRAM_COLUMNS,
  PROGRAM_METRICS,
  SYSTEM_COLUMNS,
  SYSTEM_METRICS,
  type MetricColumn,
  type MetricSpec,
  type ProgramTick,
  type Stat,
} from './metrics';
export { DEFAULT_TIERS, tiersFromSettings, validateTiers, type TierConfig } from './tiers';
export type {
  BucketKey,
  FlushInfo,
  FlushResult,
  History,
  HistoryOptions,
  HistoryStatus,
  PauseReason,
  ProcessRow,
  ProgramRow,
  SystemRow,
  TierQuery,
  TopBy,
  TopProgram,
} from './types';
export { HISTORY_MIGRATIONS } from './schema';
export { programTicks } from './aggregation';
export { DISK_FULL_BELOW_BYTES, classifyWriteError } from './writer';
export { iterateProcessRows } from './queries';

export function createHistory(options: HistoryOptions): History {
  const db = options.db;
  const nowMs = options.nowMs ?? Date.now;
  let tiers: readonly TierConfig[] = options.tiers ?? DEFAULT_TIERS;
  const tierError = validateTiers(tiers);
  if (tierError) throw new RangeError(`history tiers: ${tierError}`);
  const aggregation: AggregationOptions = { processRows: options.processRows ?? 'active', perCore: options.perCore ?? true };
  let enabled = options.enabled ?? true;

  const ring = new SampleRing({ intervalMs: options.intervalMs, windowMs: options.ringWindowMs });

  migrate(db, HISTORY_MIGRATIONS);
  ensureIncrementalVacuum(db);
  const statements = prepareStatements(db);

  let open: OpenBucket | undefined;
  /** Start of the bucket close() wrote before it was complete; rollups stop short of it. */
  let partialBucketMs: number | undefined;
  let lastSampleAt: number | undefined;
  const fineMs = () => (tiers[0] as TierConfig).bucketMs;

  const writer = createWriter({
    db,
    statements,
    tiers: () => tiers,
    lastSampleAt: () => lastSampleAt,
    openFromMs: () => (open ? open.startMs : partialBucketMs),
    nowMs,
    flushEveryMs: options.flushEveryMs ?? 30_000,
    maxBatchRows: options.maxBatchRows ?? 5_000,
    maxPendingRows: Math.max(options.maxPendingRows ?? 100_000, 1),
    retryEveryMs: options.retryEveryMs ?? 30_000,
    maintenanceEveryMs: options.maintenanceEveryMs ?? 60_000,
    sizeCapBytes: options.sizeCapBytes ?? Number.POSITIVE_INFINITY,
    onFlush: options.onFlush,
  });
  const queries = createQueries({ db, statements, tiers: () => tiers, nowMs: () => lastSampleAt ?? nowMs(), pending: writer.pending });

  /** Close the open bucket into the batch. */
  function closeOpenBucket(bucket: OpenBucket, atMs: number): void {
    writer.enqueue(closeOpen(bucket, aggregation), atMs);
    open = undefined;
  }

  function flush(): FlushResult {
    if (!enabled) return { ok: true, rows: 0 };
    return writer.flush();
  }

  function append(sample: Sample): void {
    try {
      if (!Number.isFinite(sample.at)) return;
      ring.append(sample);
      if (!enabled) return;
      lastSampleAt = sample.at;
      const start = bucketStart(sample.at, fineMs());
      if (open && open.startMs !== start) closeOpenBucket(open, sample.at);
      if (!open) {
        open = openBucket(start);
        partialBucketMs = undefined;
      }
      addToOpen(open, sample, aggregation);
      writer.afterSample(sample.at, options.diskFreeBytes?.());
    } catch {
      // append never throws: monitoring and the engine go on whatever happens to history.
    }
  }

  return {
    append,
    flush,
    close(): FlushResult {
      if (open && enabled) {
        partialBucketMs = open.startMs;
        closeOpenBucket(open, lastSampleAt ?? open.startMs);
      }
      return flush();
    },
    status: writer.status,
    onStatusChange: writer.onStatusChange,
    maintain(now?: number): void {
      if (!enabled) return;
      writer.maintain(now ?? lastSampleAt ?? nowMs());
    },
    sizeBytes: () => pragmaNumber(db, 'page_count') * pragmaNumber(db, 'page_size'),
    ...queries,
    ring,
    get tiers() {
      return tiers;
    },
    setIntervalMs(intervalMs: number) {
      ring.resize(intervalMs);
    },
    configure(next) {
      if (next.tiers) {
        const error = validateTiers(next.tiers);
        if (error) throw new RangeError(`history tiers: ${error}`);
        if (next.tiers[0]?.bucketMs !== fineMs() && open) closeOpenBucket(open, lastSampleAt ?? open.startMs);
        tiers = next.tiers;
        writer.loadWatermarks();
      }
      if (next.sizeCapBytes !== undefined) writer.setSizeCapBytes(next.sizeCapBytes > 0 ? next.sizeCapBytes : Number.POSITIVE_INFINITY);
      if (next.processRows !== undefined) aggregation.processRows = next.processRows;
      if (next.perCore !== undefined) aggregation.perCore = next.perCore;
      if (next.enabled !== undefined) enabled = next.enabled;
    },
    pendingRows: writer.pendingRows,
  };
}
