// The history's public types: its options, its status, the rows its queries return and the History
// interface itself. `index.ts` re-exports them; nothing here runs.
import type { Sample } from '../../../src-shared/domain';
import type { ProcessRows } from '../../../src-shared/settings';
import type { Db } from '../db';
import type { SampleRing } from '../ring';
import type { MetricValues, PROCESS_METRICS, PROGRAM_METRICS, SYSTEM_METRICS } from './metrics';
import type { TierConfig } from './tiers';

export interface HistoryOptions {
  db: Db;
  /** Sampling interval, sizes the in-memory ring (10 min / intervalMs entries). */
  intervalMs: number;
  ringWindowMs?: number;
  /** Finest first. Default 10 s for 2 days, 1 min for 30 days, 1 h for 1 year. */
  tiers?: readonly TierConfig[];
  /** Cap on the database size (bytes). Default: none. */
  sizeCapBytes?: number;
  /** Per-process rows at the finest tier: 'active' (CPU or I/O seen in the bucket, default), 'all', 'off'. */
  processRows?: ProcessRows;
  /** Keep per-core CPU means (JSON) in system rows. Default true. */
  perCore?: boolean;
  /** Write the batch once its oldest closed bucket has waited this long (sample time). Default 30 s. */
  flushEveryMs?: number;
  /** Write early when the batch has this many rows. Default 5,000. */
  maxBatchRows?: number;
  /** While paused, keep at most this many rows; oldest buckets are dropped first. Default 100,000. */
  maxPendingRows?: number;
  /** While paused, try writing again this often (sample time). Default 30 s. */
  retryEveryMs?: number;
  /** Retention and size cap run this often (sample time). Default 60 s. */
  maintenanceEveryMs?: number;
  /** Off: the ring still fills, nothing is written. Default true. */
  enabled?: boolean;
  /** Called after each committed batch (tests, diagnostics). */
  onFlush?: (info: FlushInfo) => void;
  /** Wall clock for status timestamps. */
  nowMs?: () => number;
  /** Free bytes on the database's file system, probed each sample: a full disk is reported within a tick, not at the next flush. */
  diskFreeBytes?: () => number | undefined;
}


export interface FlushInfo {
  /** Finest-tier bucket starts written (system rows). */
  bucketStartsMs: number[];
  rows: number;
}

export type PauseReason = 'disk-full' | 'io-error' | 'write-error';

export type HistoryStatus =
  | { state: 'ok' }
  | {
      state: 'paused';
      reason: PauseReason;
      /** The database's own message, e.g. "database or disk is full". */
      message: string;
      sinceMs: number;
      /** Closed buckets dropped from the batch because it grew past its bound while paused. */
      droppedBuckets: number;
      pendingRows: number;
    };

export type FlushResult = { ok: true; rows: number } | { ok: false; reason: PauseReason; message: string };

export interface BucketKey {
  tierMs: number;
  bucketMs: number;
  samples: number;
}

export type SystemRow = BucketKey & { coveredMs: number; coresCpuPercentMean: number[] | null } & MetricValues<typeof SYSTEM_METRICS>;
export type ProgramRow = BucketKey & { programId: string; runningMs: number } & MetricValues<typeof PROGRAM_METRICS>;
/** Who a process row is about: the process's identity and how it was started. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
  programId: string;
  name: string;
  cmdline: string;
  user: string;
  exe: string | null;
}
export type ProcessRow = BucketKey & ProcessIdentity & { runningMs: number } & MetricValues<typeof PROCESS_METRICS>;

export interface TierQuery<Row> {
  tierMs: number;
  rows: Row[];
}

export type TopBy = 'cpu' | 'rss' | 'io' | 'running';

export interface TopProgram {
  programId: string;
  /** CPU time used in the range: sum of cpu% x running time. */
  cpuSeconds: number;
  rssMaxBytes: number | null;
  /** Bytes read + written in the range. */
  ioBytes: number;
  runningMs: number;
}

export interface History {
  /** Ring + aggregation, and a write when due. Never throws. */
  append(sample: Sample): void;
  /** Write the pending batch now (closed buckets only). */
  flush(): FlushResult;
  /** Close the open bucket (partial), write everything. For shutdown; the Db stays open. */
  close(): FlushResult;
  status(): HistoryStatus;
  onStatusChange(listener: (status: HistoryStatus) => void): () => void;
  /** Retention and size cap now; `nowMs` defaults to the newest sample's time. */
  maintain(nowMs?: number): void;
  /** Database size in bytes: page_count * page_size. */
  sizeBytes(): number;
  querySystem(fromMs: number, toMs: number, resolutionMs?: number): TierQuery<SystemRow>;
  queryProgram(programId: string, fromMs: number, toMs: number, resolutionMs?: number): TierQuery<ProgramRow>;
  queryProcesses(fromMs: number, toMs: number, filter?: { programId?: string; pid?: number }): ProcessRow[];
  topPrograms(fromMs: number, toMs: number, by: TopBy, limit?: number): TopProgram[];
  /** Running time (ms) per hour of the week, local time; index = day (0 = Sunday) * 24 + hour. */
  hourOfWeek(programId: string, sinceMs?: number): number[];
  readonly ring: SampleRing;
  readonly tiers: readonly TierConfig[];
  setIntervalMs(intervalMs: number): void;
  configure(options: Partial<Pick<HistoryOptions, 'tiers' | 'sizeCapBytes' | 'processRows' | 'enabled' | 'perCore'>>): void;
  /** Finest-tier rows waiting to be written. */
  pendingRows(): number;
}
