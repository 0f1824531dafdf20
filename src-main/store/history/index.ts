// History: the last minutes at full rate in memory (SampleRing), and downsampled tiers in SQLite.
//
// How it works
// - Every Sample is aggregated in memory into the open bucket of the finest tier (10 s by default):
//   one system row, one row per program (processes grouped by `programId`, else by `name`) and,
//   optionally, one row per process (pid, startTime, programId).
// - When a sample falls into a later bucket, the open bucket closes and joins the pending batch.
//   The batch is written in ONE transaction when it is old enough (`flushEveryMs` of sample time)
//   or big enough (`maxBatchRows`). WAL mode: a crash or `kill -9` loses at most the open bucket and
//   the unwritten batch, never a committed one, and never corrupts the file.
// - Coarser tiers (1 min, 1 h, ...) are rolled up from the next finer tier, in the same transaction,
//   once their buckets are closed; each tier's watermark (`rolled_up_to`) is stored with the data,
//   so a crash never leaves a coarse tier half-built and a restart picks up where it stopped.
//   Means are weighted by sample count, so a rolled-up mean equals the mean over the raw samples.
// - Retention deletes buckets older than each tier keeps. A size cap deletes the oldest rows of the
//   finest tier first (only rows already rolled up into the next tier), then the next tier, and so on,
//   measuring the file as page_count * page_size after `PRAGMA incremental_vacuum`.
// - A failed write (SQLITE_FULL / ENOSPC / SQLITE_IOERR / anything else) pauses history: the batch is
//   kept (bounded by `maxPendingRows`, oldest buckets dropped and counted), `status()` says why, the
//   ring and aggregation go on, `append()` never throws, and a retry runs every `retryEveryMs` of
//   sample time until a write succeeds.
//
// Semantics of the columns: a program's `*_mean` is the mean over the samples in which the program had
// at least one process (its load while running); `running_ms` is how long that was. Per-program values
// in one sample are sums over the program's processes. Optional metrics that no process reported are
// NULL, not 0.
import type { ProcessSample, Sample, SystemSample } from '../../../src-shared/domain';
import type { ProcessRows } from '../../../src-shared/settings';
import { migrate, type Db, type Migration } from '../db';
import { SampleRing } from '../ring';
import { programKey } from '../../../src-shared/identity';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

// ---------------------------------------------------------------------------------------------
// Metric definitions (single source for the schema, the aggregation, queries and export docs)
// ---------------------------------------------------------------------------------------------

export type Stat = 'mean' | 'max' | 'min';

export interface MetricSpec<Input> {
  /** snake_case with unit; columns are `${name}_${stat}`. */
  name: string;
  stats: readonly Stat[];
  unit: string;
  description: string;
  read: (input: Input) => number | undefined;
}

/** What one program contributed to one sample: sums over its processes. */
export interface ProgramTick {
  cpuPercent: number;
  rssBytes: number;
  swapBytes?: number;
  readBytesPerSec?: number;
  writeBytesPerSec?: number;
  ctxSwitchesPerSec?: number;
  syscallsPerSec?: number;
  majorFaultsPerSec?: number;
  runQueueWaitMsPerSec?: number;
  processCount: number;
  threadCount: number;
}

const sumDefined = (values: Array<number | undefined>): number | undefined => {
  let total: number | undefined;
  for (const value of values) if (value !== undefined) total = (total ?? 0) + value;
  return total;
};

export const SYSTEM_METRICS = [
  { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'total CPU use, 100 = all cores busy', read: (s: SystemSample) => s.cpuPercent },
  { name: 'memory_used_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'memory in use', read: (s: SystemSample) => s.memory.usedBytes },
  { name: 'memory_available_bytes', stats: ['mean', 'min'], unit: 'bytes', description: 'memory available for new work', read: (s: SystemSample) => s.memory.availableBytes },
  { name: 'swap_used_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'swap in use', read: (s: SystemSample) => s.memory.swapUsedBytes },
  { name: 'disk_read_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'read rate summed over the disks the collector reports', read: (s: SystemSample) => (s.disks ? sumDefined(s.disks.map((d) => d.readBytesPerSec)) ?? 0 : undefined) },
  { name: 'disk_write_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'write rate summed over the disks the collector reports', read: (s: SystemSample) => (s.disks ? sumDefined(s.disks.map((d) => d.writeBytesPerSec)) ?? 0 : undefined) },
  { name: 'net_rx_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'received bytes summed over interfaces', read: (s: SystemSample) => (s.net ? sumDefined(s.net.map((n) => n.rxBytesPerSec)) ?? 0 : undefined) },
  { name: 'net_tx_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'sent bytes summed over interfaces', read: (s: SystemSample) => (s.net ? sumDefined(s.net.map((n) => n.txBytesPerSec)) ?? 0 : undefined) },
  { name: 'psi_cpu_some_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI cpu some avg10', read: (s: SystemSample) => s.psi?.cpu?.someAvg10 },
  { name: 'psi_memory_some_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI memory some avg10', read: (s: SystemSample) => s.psi?.memory?.someAvg10 },
  { name: 'psi_memory_full_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI memory full avg10', read: (s: SystemSample) => s.psi?.memory?.fullAvg10 },
  { name: 'psi_io_some_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI io some avg10', read: (s: SystemSample) => s.psi?.io?.someAvg10 },
  { name: 'psi_io_full_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI io full avg10', read: (s: SystemSample) => s.psi?.io?.fullAvg10 },
  { name: 'load1', stats: ['mean'], unit: 'tasks', description: '1-minute load average', read: (s: SystemSample) => s.loadAvg?.[0] },
  { name: 'load5', stats: ['mean'], unit: 'tasks', description: '5-minute load average', read: (s: SystemSample) => s.loadAvg?.[1] },
  { name: 'load15', stats: ['mean'], unit: 'tasks', description: '15-minute load average', read: (s: SystemSample) => s.loadAvg?.[2] },
  { name: 'process_count', stats: ['mean', 'max'], unit: 'processes', description: 'number of processes', read: (s: SystemSample) => s.processCount },
  { name: 'ctx_switches_per_sec', stats: ['mean'], unit: '1/s', description: 'context switches, whole system', read: (s: SystemSample) => s.contextSwitchesPerSec },
] as const satisfies readonly MetricSpec<SystemSample>[];

export const PROGRAM_METRICS = [
  { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'CPU summed over the program\'s processes; 100 = one core', read: (p: ProgramTick) => p.cpuPercent },
  { name: 'rss_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'resident memory summed over its processes', read: (p: ProgramTick) => p.rssBytes },
  { name: 'swap_bytes', stats: ['mean'], unit: 'bytes', description: 'swapped-out memory summed over its processes', read: (p: ProgramTick) => p.swapBytes },
  { name: 'read_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage reads', read: (p: ProgramTick) => p.readBytesPerSec },
  { name: 'write_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage writes', read: (p: ProgramTick) => p.writeBytesPerSec },
  { name: 'ctx_switches_per_sec', stats: ['mean'], unit: '1/s', description: 'voluntary + involuntary context switches', read: (p: ProgramTick) => p.ctxSwitchesPerSec },
  { name: 'syscalls_per_sec', stats: ['mean'], unit: '1/s', description: 'read + write system calls', read: (p: ProgramTick) => p.syscallsPerSec },
  { name: 'major_faults_per_sec', stats: ['mean'], unit: '1/s', description: 'major page faults', read: (p: ProgramTick) => p.majorFaultsPerSec },
  { name: 'run_queue_wait_ms_per_sec', stats: ['mean'], unit: 'ms/s', description: 'time runnable but waiting for a CPU, summed over its processes', read: (p: ProgramTick) => p.runQueueWaitMsPerSec },
  { name: 'process_count', stats: ['mean', 'max'], unit: 'processes', description: 'processes of the program', read: (p: ProgramTick) => p.processCount },
  { name: 'thread_count', stats: ['max'], unit: 'threads', description: 'threads summed over its processes', read: (p: ProgramTick) => p.threadCount },
] as const satisfies readonly MetricSpec<ProgramTick>[];

export const PROCESS_METRICS = [
  { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'user+system CPU; 100 = one core', read: (p: ProcessSample) => p.cpuPercent },
  { name: 'rss_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'resident memory', read: (p: ProcessSample) => p.rssBytes },
  { name: 'swap_bytes', stats: ['mean'], unit: 'bytes', description: 'swapped-out memory', read: (p: ProcessSample) => p.swapBytes },
  { name: 'read_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage reads', read: (p: ProcessSample) => p.readBytesPerSec },
  { name: 'write_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage writes', read: (p: ProcessSample) => p.writeBytesPerSec },
  { name: 'ctx_switches_per_sec', stats: ['mean'], unit: '1/s', description: 'voluntary + involuntary context switches', read: (p: ProcessSample) => sumDefined([p.voluntaryCtxSwitchesPerSec, p.involuntaryCtxSwitchesPerSec]) },
  { name: 'syscalls_per_sec', stats: ['mean'], unit: '1/s', description: 'read + write system calls', read: (p: ProcessSample) => sumDefined([p.readSyscallsPerSec, p.writeSyscallsPerSec]) },
  { name: 'major_faults_per_sec', stats: ['mean'], unit: '1/s', description: 'major page faults', read: (p: ProcessSample) => p.majorFaultsPerSec },
  { name: 'run_queue_wait_ms_per_sec', stats: ['mean'], unit: 'ms/s', description: 'time runnable but waiting for a CPU', read: (p: ProcessSample) => p.runQueueWaitMsPerSec },
  { name: 'thread_count', stats: ['max'], unit: 'threads', description: 'threads', read: (p: ProcessSample) => p.threads },
  { name: 'nice', stats: ['min', 'max'], unit: 'nice', description: 'nice value (-20 highest priority .. 19 lowest)', read: (p: ProcessSample) => p.nice },
] as const satisfies readonly MetricSpec<ProcessSample>[];

type Specs = readonly { name: string; stats: readonly Stat[] }[];
type ColumnsOf<S extends Specs> = { [I in keyof S]: `${S[I]['name']}_${S[I]['stats'][number]}` }[number];
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type MetricValues<S extends Specs> = { [K in ColumnsOf<S> as Camel<K>]: number | null };

export interface MetricColumn {
  column: string;
  /** camelCase key in query results. */
  key: string;
  stat: Stat;
  metricIndex: number;
  unit: string;
  description: string;
}

function columnsOf(specs: readonly MetricSpec<never>[]): MetricColumn[] {
  const out: MetricColumn[] = [];
  specs.forEach((spec, metricIndex) => {
    for (const stat of spec.stats) {
      const column = `${spec.name}_${stat}`;
      out.push({ column, key: camel(column), stat, metricIndex, unit: spec.unit, description: `${spec.description} (${stat} over the bucket)` });
    }
  });
  return out;
}

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export const SYSTEM_COLUMNS: readonly MetricColumn[] = columnsOf(SYSTEM_METRICS as unknown as MetricSpec<never>[]);
export const PROGRAM_COLUMNS: readonly MetricColumn[] = columnsOf(PROGRAM_METRICS as unknown as MetricSpec<never>[]);
export const PROCESS_COLUMNS: readonly MetricColumn[] = columnsOf(PROCESS_METRICS as unknown as MetricSpec<never>[]);

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

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

/** Below this much free space the disk counts as full. */
export const DISK_FULL_BELOW_BYTES = 64 * 1024;

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
export type ProcessRow = BucketKey & {
  pid: number;
  startTime: number;
  programId: string;
  name: string;
  cmdline: string;
  user: string;
  exe: string | null;
  runningMs: number;
} & MetricValues<typeof PROCESS_METRICS>;

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

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const metricColumnsSql = (columns: readonly MetricColumn[]) => columns.map((c) => `${c.column} REAL`).join(',\n  ');

export const HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'history.1',
    sql: `
CREATE TABLE history_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE history_system (
  tier_ms INTEGER NOT NULL,
  bucket_ms INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  covered_ms INTEGER NOT NULL,
  cores_json TEXT,
  ${metricColumnsSql(SYSTEM_COLUMNS)},
  PRIMARY KEY (tier_ms, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE history_program (
  tier_ms INTEGER NOT NULL,
  bucket_ms INTEGER NOT NULL,
  program_id TEXT NOT NULL,
  samples INTEGER NOT NULL,
  running_ms INTEGER NOT NULL,
  ${metricColumnsSql(PROGRAM_COLUMNS)},
  PRIMARY KEY (tier_ms, bucket_ms, program_id)
) WITHOUT ROWID;
CREATE INDEX history_program_by_program ON history_program (program_id, tier_ms, bucket_ms);
CREATE TABLE history_process_info (
  pid INTEGER NOT NULL,
  start_time REAL NOT NULL,
  program_id TEXT NOT NULL,
  name TEXT NOT NULL,
  cmdline TEXT NOT NULL,
  user TEXT NOT NULL,
  exe TEXT,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (pid, start_time, program_id)
) WITHOUT ROWID;
CREATE TABLE history_process (
  bucket_ms INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  start_time REAL NOT NULL,
  program_id TEXT NOT NULL,
  samples INTEGER NOT NULL,
  running_ms INTEGER NOT NULL,
  ${metricColumnsSql(PROCESS_COLUMNS)},
  PRIMARY KEY (bucket_ms, pid, start_time, program_id)
) WITHOUT ROWID;
`,
  },
];

// ---------------------------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------------------------

class MetricAcc {
  n = 0;
  sum = 0;
  max = Number.NEGATIVE_INFINITY;
  min = Number.POSITIVE_INFINITY;
  add(value: number, weight = 1): void {
    this.n += weight;
    this.sum += value * weight;
  }
  bound(value: number): void {
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
  }
}

interface BucketAcc {
  samples: number;
  coveredMs: number;
  metrics: MetricAcc[];
}

function newBucketAcc(metricCount: number): BucketAcc {
  return { samples: 0, coveredMs: 0, metrics: Array.from({ length: metricCount }, () => new MetricAcc()) };
}

function accumulate<I>(acc: BucketAcc, specs: readonly MetricSpec<I>[], input: I, intervalMs: number): void {
  acc.samples += 1;
  acc.coveredMs += intervalMs;
  for (let i = 0; i < specs.length; i++) {
    const value = (specs[i] as MetricSpec<I>).read(input);
    if (value === undefined || !Number.isFinite(value)) continue;
    const metric = acc.metrics[i] as MetricAcc;
    metric.add(value);
    metric.bound(value);
  }
}

function valuesOf(acc: BucketAcc, columns: readonly MetricColumn[]): Array<number | null> {
  return columns.map((c) => {
    const m = acc.metrics[c.metricIndex] as MetricAcc;
    if (m.n === 0) return null;
    return c.stat === 'mean' ? m.sum / m.n : c.stat === 'max' ? m.max : m.min;
  });
}

/** One bucket row in memory: metric values in column order. */
interface Row {
  bucketMs: number;
  samples: number;
  coveredMs: number;
  values: Array<number | null>;
}
interface SystemBucket extends Row {
  cores: number[] | null;
}
interface ProgramBucket extends Row {
  programId: string;
}
interface ProcessBucket extends Row {
  pid: number;
  startTime: number;
  programId: string;
  name: string;
  cmdline: string;
  user: string;
  exe: string | null;
}

/** Merge rows of one bucket (rollup, or a partial bucket written before a restart): exact for means. */
function mergeValues(rows: readonly Row[], columns: readonly MetricColumn[]): Array<number | null> {
  return columns.map((c, j) => {
    let weight = 0;
    let sum = 0;
    let extreme: number | null = null;
    for (const row of rows) {
      const v = row.values[j];
      if (v === null || v === undefined) continue;
      if (c.stat === 'mean') {
        sum += v * row.samples;
        weight += row.samples;
      } else if (extreme === null || (c.stat === 'max' ? v > extreme : v < extreme)) extreme = v;
    }
    if (c.stat === 'mean') return weight > 0 ? sum / weight : null;
    return extreme;
  });
}

function mergeCores(rows: readonly SystemBucket[]): number[] | null {
  const sums: number[] = [];
  const weights: number[] = [];
  let any = false;
  for (const row of rows) {
    if (!row.cores) continue;
    any = true;
    row.cores.forEach((v, i) => {
      sums[i] = (sums[i] ?? 0) + v * row.samples;
      weights[i] = (weights[i] ?? 0) + row.samples;
    });
  }
  if (!any) return null;
  return sums.map((s, i) => (weights[i] ? s / (weights[i] as number) : 0));
}

interface OpenBucket {
  startMs: number;
  system: BucketAcc;
  coreSums: number[];
  coreCounts: number[];
  programs: Map<string, BucketAcc>;
  processes: Map<string, { acc: BucketAcc; process: ProcessSample; programId: string; active: boolean; idleRepeats: number; idleCoveredMs: number }>;
}

interface PendingGroup {
  bucketMs: number;
  system: SystemBucket;
  programs: ProgramBucket[];
  processes: ProcessBucket[];
  rows: number;
}

export function programTicks(sample: Sample): Map<string, ProgramTick> {
  const ticks = new Map<string, ProgramTick>();
  for (const p of sample.processes) {
    const key = programKey(p);
    let t = ticks.get(key);
    if (!t) ticks.set(key, (t = { cpuPercent: 0, rssBytes: 0, processCount: 0, threadCount: 0 }));
    t.cpuPercent += p.cpuPercent;
    t.rssBytes += p.rssBytes;
    t.processCount += 1;
    t.threadCount += p.threads;
    const add = (field: Exclude<keyof ProgramTick, 'cpuPercent' | 'rssBytes' | 'processCount' | 'threadCount'>, v: number | undefined) => {
      if (v !== undefined && Number.isFinite(v)) t[field] = (t[field] ?? 0) + v;
    };
    add('swapBytes', p.swapBytes);
    add('readBytesPerSec', p.readBytesPerSec);
    add('writeBytesPerSec', p.writeBytesPerSec);
    add('ctxSwitchesPerSec', sumDefined([p.voluntaryCtxSwitchesPerSec, p.involuntaryCtxSwitchesPerSec]));
    add('syscallsPerSec', sumDefined([p.readSyscallsPerSec, p.writeSyscallsPerSec]));
    add('majorFaultsPerSec', p.majorFaultsPerSec);
    add('runQueueWaitMsPerSec', p.runQueueWaitMsPerSec);
  }
  return ticks;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export function classifyWriteError(error: unknown): { reason: PauseReason; message: string } {
  const e = error as { code?: unknown; rawCode?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const rawCode = typeof e?.rawCode === 'number' ? e.rawCode : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const text = `${code} ${message}`;
  if (code === 'SQLITE_FULL' || rawCode === 13 || /ENOSPC|disk is full|SQLITE_FULL/i.test(text)) {
    return { reason: 'disk-full', message };
  }
  if (code.startsWith('SQLITE_IOERR') || (rawCode !== undefined && (rawCode & 0xff) === 10) || /disk I\/O error|EIO/i.test(text)) {
    return { reason: 'io-error', message };
  }
  return { reason: 'write-error', message: code ? `${code}: ${message}` : message };
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

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

const MAX_AUTO_POINTS = 1500;
const INFO_REFRESH_MS = HOUR_MS;

/** Switch an existing database to incremental auto-vacuum (needs one VACUUM); false if it could not. */
function ensureIncrementalVacuum(db: Db): boolean {
  const mode = pragmaNumber(db, 'auto_vacuum');
  if (mode === 2) return true;
  try {
    db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    return pragmaNumber(db, 'auto_vacuum') === 2;
  } catch {
    return false;
  }
}

function pragmaNumber(db: Db, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).raw().get() as unknown[] | undefined;
  return Number(row?.[0] ?? 0);
}

export function createHistory(options: HistoryOptions): History {
  const db = options.db;
  const nowMs = options.nowMs ?? Date.now;
  let tiers: readonly TierConfig[] = options.tiers ?? DEFAULT_TIERS;
  const tierError = validateTiers(tiers);
  if (tierError) throw new RangeError(`history tiers: ${tierError}`);
  let sizeCapBytes = options.sizeCapBytes ?? Number.POSITIVE_INFINITY;
  let processRows: ProcessRows = options.processRows ?? 'active';
  let perCore = options.perCore ?? true;
  let enabled = options.enabled ?? true;
  const flushEveryMs = options.flushEveryMs ?? 30_000;
  const maxBatchRows = options.maxBatchRows ?? 5_000;
  const maxPendingRows = Math.max(options.maxPendingRows ?? 100_000, 1);
  const retryEveryMs = options.retryEveryMs ?? 30_000;
  const maintenanceEveryMs = options.maintenanceEveryMs ?? 60_000;

  const ring = new SampleRing({ intervalMs: options.intervalMs, windowMs: options.ringWindowMs });

  migrate(db, HISTORY_MIGRATIONS);
  ensureIncrementalVacuum(db);

  // --- statements ---
  const sysCols = ['tier_ms', 'bucket_ms', 'samples', 'covered_ms', 'cores_json', ...SYSTEM_COLUMNS.map((c) => c.column)];
  const progCols = ['tier_ms', 'bucket_ms', 'program_id', 'samples', 'running_ms', ...PROGRAM_COLUMNS.map((c) => c.column)];
  const procCols = ['bucket_ms', 'pid', 'start_time', 'program_id', 'samples', 'running_ms', ...PROCESS_COLUMNS.map((c) => c.column)];
  const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const insertSql = (table: string, cols: string[], verb: string) =>
    `${verb} INTO ${table} (${cols.join(', ')}) VALUES (${placeholders(cols.length)})`;

  const stmt = {
    sysInsertNew: db.prepare(insertSql('history_system', sysCols, 'INSERT') + ' ON CONFLICT DO NOTHING'),
    sysReplace: db.prepare(insertSql('history_system', sysCols, 'INSERT OR REPLACE')),
    sysGet: db.prepare(`SELECT ${sysCols.join(', ')} FROM history_system WHERE tier_ms = ? AND bucket_ms = ?`).raw(),
    progInsertNew: db.prepare(insertSql('history_program', progCols, 'INSERT') + ' ON CONFLICT DO NOTHING'),
    progReplace: db.prepare(insertSql('history_program', progCols, 'INSERT OR REPLACE')),
    progGet: db.prepare(`SELECT ${progCols.join(', ')} FROM history_program WHERE tier_ms = ? AND bucket_ms = ? AND program_id = ?`).raw(),
    procInsertNew: db.prepare(insertSql('history_process', procCols, 'INSERT') + ' ON CONFLICT DO NOTHING'),
    procReplace: db.prepare(insertSql('history_process', procCols, 'INSERT OR REPLACE')),
    procGet: db.prepare(`SELECT ${procCols.join(', ')} FROM history_process WHERE bucket_ms = ? AND pid = ? AND start_time = ? AND program_id = ?`).raw(),
    infoUpsert: db.prepare(
      `INSERT INTO history_process_info (pid, start_time, program_id, name, cmdline, user, exe, first_seen_ms, last_seen_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),
         first_seen_ms = min(first_seen_ms, excluded.first_seen_ms), name = excluded.name, cmdline = excluded.cmdline,
         user = excluded.user, exe = coalesce(excluded.exe, exe)`,
    ),
    sysRange: db.prepare(`SELECT ${sysCols.join(', ')} FROM history_system WHERE tier_ms = ? AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms`).raw(),
    progRangeAll: db.prepare(`SELECT ${progCols.join(', ')} FROM history_program WHERE tier_ms = ? AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms, program_id`).raw(),
    progRangeOne: db.prepare(`SELECT ${progCols.join(', ')} FROM history_program WHERE program_id = ? AND tier_ms = ? AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms`).raw(),
    metaGet: db.prepare('SELECT value FROM history_meta WHERE key = ?').raw(),
    metaSet: db.prepare('INSERT INTO history_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };

  // --- row <-> SQL ---
  const sysToParams = (tierMs: number, r: SystemBucket) => [tierMs, r.bucketMs, r.samples, Math.round(r.coveredMs), r.cores ? JSON.stringify(r.cores.map(round3)) : null, ...r.values];
  const sysFromRaw = (raw: unknown[]): SystemBucket => ({
    bucketMs: raw[1] as number,
    samples: raw[2] as number,
    coveredMs: raw[3] as number,
    cores: raw[4] === null ? null : (JSON.parse(raw[4] as string) as number[]),
    values: raw.slice(5) as Array<number | null>,
  });
  const progToParams = (tierMs: number, r: ProgramBucket) => [tierMs, r.bucketMs, r.programId, r.samples, Math.round(r.coveredMs), ...r.values];
  const progFromRaw = (raw: unknown[]): ProgramBucket => ({
    bucketMs: raw[1] as number,
    programId: raw[2] as string,
    samples: raw[3] as number,
    coveredMs: raw[4] as number,
    values: raw.slice(5) as Array<number | null>,
  });
  const procToParams = (r: ProcessBucket) => [r.bucketMs, r.pid, r.startTime, r.programId, r.samples, Math.round(r.coveredMs), ...r.values];

  // --- state ---
  let open: OpenBucket | undefined;
  /** Start of the bucket close() wrote before it was complete; rollups stop short of it. */
  let partialBucketMs: number | undefined;
  let pending: PendingGroup[] = [];
  let pendingRowCount = 0;
  let lastSampleAt: number | undefined;
  let batchStartedAt: number | undefined; // sample time when the oldest pending bucket closed
  let lastMaintenanceAt: number | undefined;
  let status: HistoryStatus = { state: 'ok' };
  let nextRetryAt = 0;
  let droppedBuckets = 0;
  const statusListeners = new Set<(s: HistoryStatus) => void>();
  /** Process identity rows known to be in the db, with the last_seen written; `infoWrites` commit with the batch. */
  const infoWritten = new Map<string, number>();
  const infoWrites = new Map<string, number>();
  const rolledUpTo = new Map<number, number>();
  const rolledKey = (tierMs: number) => `rolled_up_to:${tierMs}`;
  const loadWatermarks = () => {
    for (const tier of tiers.slice(1)) {
      const row = stmt.metaGet.get(rolledKey(tier.bucketMs)) as unknown[] | undefined;
      rolledUpTo.set(tier.bucketMs, row ? Number(row[0]) : 0);
    }
  };
  loadWatermarks();

  const fineMs = () => (tiers[0] as TierConfig).bucketMs;

  function setStatus(next: HistoryStatus): void {
    status = next;
    for (const listener of statusListeners) {
      try {
        listener(next);
      } catch {
        // listeners must not break history
      }
    }
  }

  function newOpen(startMs: number): OpenBucket {
    return {
      startMs,
      system: newBucketAcc(SYSTEM_METRICS.length),
      coreSums: [],
      coreCounts: [],
      programs: new Map(),
      processes: new Map(),
    };
  }

  function addToOpen(bucket: OpenBucket, sample: Sample): void {
    const intervalMs = Number.isFinite(sample.intervalMs) ? sample.intervalMs : 0;
    accumulate(bucket.system, SYSTEM_METRICS as unknown as MetricSpec<SystemSample>[], sample.system, intervalMs);
    if (perCore) {
      for (const core of sample.system.cores) {
        if (!Number.isInteger(core.core) || core.core < 0 || core.core >= 4096) continue;
        bucket.coreSums[core.core] = (bucket.coreSums[core.core] ?? 0) + core.cpuPercent;
        bucket.coreCounts[core.core] = (bucket.coreCounts[core.core] ?? 0) + 1;
      }
    }
    for (const [programId, tick] of programTicks(sample)) {
      let acc = bucket.programs.get(programId);
      if (!acc) bucket.programs.set(programId, (acc = newBucketAcc(PROGRAM_METRICS.length)));
      accumulate(acc, PROGRAM_METRICS as unknown as MetricSpec<ProgramTick>[], tick, intervalMs);
    }
    if (processRows !== 'off') {
      for (const p of sample.processes) {
        const programId = programKey(p);
        const key = `${p.pid}:${p.startTime}:${programId}`;
        let entry = bucket.processes.get(key);
        if (!entry) bucket.processes.set(key, (entry = { acc: newBucketAcc(PROCESS_METRICS.length), process: p, programId, active: false, idleRepeats: 0, idleCoveredMs: 0 }));
        // Work in proportion to change: an idle process that is the identical object as last tick adds
        // the same values again. While its row would not be written ('active' rows only), count the
        // repeats instead of adding them; should it become active within the bucket, they are added then.
        if (p === entry.process && !entry.active && processRows === 'active' && entry.acc.samples > 0) {
          entry.idleRepeats += 1;
          entry.idleCoveredMs += intervalMs;
          continue;
        }
        if (entry.idleRepeats > 0) {
          const perRepeatMs = entry.idleCoveredMs / entry.idleRepeats;
          for (let i = 0; i < entry.idleRepeats; i++) accumulate(entry.acc, PROCESS_METRICS as unknown as MetricSpec<ProcessSample>[], entry.process, perRepeatMs);
          entry.idleRepeats = 0;
          entry.idleCoveredMs = 0;
        }
        entry.process = p;
        if (p.cpuPercent > 0 || (p.readBytesPerSec ?? 0) > 0 || (p.writeBytesPerSec ?? 0) > 0) entry.active = true;
        accumulate(entry.acc, PROCESS_METRICS as unknown as MetricSpec<ProcessSample>[], p, intervalMs);
      }
    }
  }

  function closeOpen(bucket: OpenBucket): PendingGroup {
    const cores = perCore && bucket.coreCounts.length > 0
      ? bucket.coreSums.map((s, i) => (bucket.coreCounts[i] ? s / (bucket.coreCounts[i] as number) : 0))
      : null;
    const system: SystemBucket = {
      bucketMs: bucket.startMs,
      samples: bucket.system.samples,
      coveredMs: bucket.system.coveredMs,
      cores,
      values: valuesOf(bucket.system, SYSTEM_COLUMNS),
    };
    const programs: ProgramBucket[] = [];
    for (const [programId, acc] of bucket.programs) {
      programs.push({ bucketMs: bucket.startMs, programId, samples: acc.samples, coveredMs: acc.coveredMs, values: valuesOf(acc, PROGRAM_COLUMNS) });
    }
    const processes: ProcessBucket[] = [];
    for (const entry of bucket.processes.values()) {
      if (processRows === 'active' && !entry.active) continue;
      for (let i = 0; i < entry.idleRepeats; i++) accumulate(entry.acc, PROCESS_METRICS as unknown as MetricSpec<ProcessSample>[], entry.process, entry.idleCoveredMs / entry.idleRepeats);
      const p = entry.process;
      processes.push({
        bucketMs: bucket.startMs,
        pid: p.pid,
        startTime: p.startTime,
        programId: entry.programId,
        name: p.name,
        cmdline: p.cmdline,
        user: p.user,
        exe: p.exe ?? null,
        samples: entry.acc.samples,
        coveredMs: entry.acc.coveredMs,
        values: valuesOf(entry.acc, PROCESS_COLUMNS),
      });
    }
    return { bucketMs: bucket.startMs, system, programs, processes, rows: 1 + programs.length + processes.length };
  }

  function enqueue(group: PendingGroup, atMs: number): void {
    if (pending.length === 0) batchStartedAt = atMs;
    pending.push(group);
    pendingRowCount += group.rows;
    while (pendingRowCount > maxPendingRows && pending.length > 1) {
      const dropped = pending.shift() as PendingGroup;
      pendingRowCount -= dropped.rows;
      droppedBuckets += 1;
      if (status.state === 'paused') setStatus({ ...status, droppedBuckets, pendingRows: pendingRowCount });
    }
  }

  /** Insert a finest-tier row, merging with a row already stored for the same bucket (restart mid-bucket). */
  function writeFine(group: PendingGroup, fine: number): void {
    if (stmt.sysInsertNew.run(...sysToParams(fine, group.system)).changes === 0) {
      const existing = stmt.sysGet.get(fine, group.bucketMs) as unknown[];
      const old = sysFromRaw(existing);
      const both = [old, group.system];
      stmt.sysReplace.run(...sysToParams(fine, { ...group.system, samples: old.samples + group.system.samples, coveredMs: old.coveredMs + group.system.coveredMs, cores: mergeCores(both), values: mergeValues(both, SYSTEM_COLUMNS) }));
    }
    for (const row of group.programs) {
      if (stmt.progInsertNew.run(...progToParams(fine, row)).changes === 0) {
        const old = progFromRaw(stmt.progGet.get(fine, row.bucketMs, row.programId) as unknown[]);
        stmt.progReplace.run(...progToParams(fine, { ...row, samples: old.samples + row.samples, coveredMs: old.coveredMs + row.coveredMs, values: mergeValues([old, row], PROGRAM_COLUMNS) }));
      }
    }
    for (const row of group.processes) {
      // Identity rows change rarely: write when new, then refresh last_seen at most every INFO_REFRESH_MS.
      const infoKey = `${row.pid}:${row.startTime}:${row.programId}`;
      const seen = infoWritten.get(infoKey);
      if (seen === undefined || row.bucketMs - seen >= INFO_REFRESH_MS || row.bucketMs < seen) {
        stmt.infoUpsert.run(row.pid, row.startTime, row.programId, row.name, row.cmdline, row.user, row.exe, row.bucketMs, row.bucketMs);
        infoWrites.set(infoKey, row.bucketMs);
      }
      if (stmt.procInsertNew.run(...procToParams(row)).changes === 0) {
        const raw = stmt.procGet.get(row.bucketMs, row.pid, row.startTime, row.programId) as unknown[];
        const old: Row = { bucketMs: row.bucketMs, samples: raw[4] as number, coveredMs: raw[5] as number, values: raw.slice(6) as Array<number | null> };
        stmt.procReplace.run(...procToParams({ ...row, samples: old.samples + row.samples, coveredMs: old.coveredMs + row.coveredMs, values: mergeValues([old, row], PROCESS_COLUMNS) }));
      }
    }
  }

  /** Roll closed buckets of each coarser tier up from the tier below. Runs inside the flush transaction. */
  function rollUp(watermarkMs: number, updates: Map<number, number>): void {
    for (let i = 1; i < tiers.length; i++) {
      const tier = tiers[i] as TierConfig;
      const source = tiers[i - 1] as TierConfig;
      const from = updates.get(tier.bucketMs) ?? rolledUpTo.get(tier.bucketMs) ?? 0;
      const closedEnd = Math.floor(watermarkMs / tier.bucketMs) * tier.bucketMs;
      if (closedEnd <= from) continue;
      const start = Math.floor(from / tier.bucketMs) * tier.bucketMs;
      const sysGroups = new Map<number, SystemBucket[]>();
      for (const raw of stmt.sysRange.iterate(source.bucketMs, start, closedEnd) as Iterable<unknown[]>) {
        const row = sysFromRaw(raw);
        const b = Math.floor(row.bucketMs / tier.bucketMs) * tier.bucketMs;
        const list = sysGroups.get(b);
        if (list) list.push(row);
        else sysGroups.set(b, [row]);
      }
      for (const [b, rows] of sysGroups) {
        stmt.sysReplace.run(...sysToParams(tier.bucketMs, {
          bucketMs: b,
          samples: rows.reduce((n, r) => n + r.samples, 0),
          coveredMs: rows.reduce((n, r) => n + r.coveredMs, 0),
          cores: mergeCores(rows),
          values: mergeValues(rows, SYSTEM_COLUMNS),
        }));
      }
      const progGroups = new Map<string, ProgramBucket[]>();
      for (const raw of stmt.progRangeAll.iterate(source.bucketMs, start, closedEnd) as Iterable<unknown[]>) {
        const row = progFromRaw(raw);
        const b = Math.floor(row.bucketMs / tier.bucketMs) * tier.bucketMs;
        const key = `${b}\u0000${row.programId}`;
        const list = progGroups.get(key);
        if (list) list.push(row);
        else progGroups.set(key, [row]);
      }
      for (const rows of progGroups.values()) {
        const first = rows[0] as ProgramBucket;
        stmt.progReplace.run(...progToParams(tier.bucketMs, {
          bucketMs: Math.floor(first.bucketMs / tier.bucketMs) * tier.bucketMs,
          programId: first.programId,
          samples: rows.reduce((n, r) => n + r.samples, 0),
          coveredMs: rows.reduce((n, r) => n + r.coveredMs, 0),
          values: mergeValues(rows, PROGRAM_COLUMNS),
        }));
      }
      stmt.metaSet.run(rolledKey(tier.bucketMs), closedEnd);
      updates.set(tier.bucketMs, closedEnd);
    }
  }

  function transaction(work: () => void): void {
    db.exec('BEGIN IMMEDIATE');
    try {
      work();
      db.exec('COMMIT');
    } catch (error) {
      // SQLITE_FULL may already have rolled the transaction back.
      if (db.inTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // nothing more to undo
        }
      }
      throw error;
    }
  }

  function flush(): FlushResult {
    if (!enabled) return { ok: true, rows: 0 };
    const batch = pending;
    const fine = fineMs();
    // Everything before the open bucket is final once this batch is in.
    // A bucket closed early by close() may still grow after a restart, so it is not final either.
    const watermark = open
      ? open.startMs
      : partialBucketMs ?? (batch.length > 0 ? (batch[batch.length - 1] as PendingGroup).bucketMs + fine : undefined);
    const updates = new Map<number, number>();
    let rows = 0;
    try {
      transaction(() => {
        for (const group of batch) {
          writeFine(group, fine);
          rows += group.rows;
        }
        if (watermark !== undefined) rollUp(watermark, updates);
      });
    } catch (error) {
      infoWrites.clear();
      const { reason, message } = classifyWriteError(error);
      if (status.state === 'ok') {
        setStatus({ state: 'paused', reason, message, sinceMs: nowMs(), droppedBuckets, pendingRows: pendingRowCount });
      } else {
        setStatus({ ...status, reason, message, droppedBuckets, pendingRows: pendingRowCount });
      }
      nextRetryAt = (lastSampleAt ?? 0) + retryEveryMs;
      return { ok: false, reason, message };
    }
    for (const [tierMs, value] of updates) rolledUpTo.set(tierMs, value);
    for (const [key, value] of infoWrites) infoWritten.set(key, value);
    infoWrites.clear();
    if (infoWritten.size > 50_000) infoWritten.clear(); // a cache: forgetting only costs a rewrite
    // Samples appended while the batch was written (none today: append is synchronous) stay pending.
    pending = pending.slice(batch.length);
    pendingRowCount = pending.reduce((n, g) => n + g.rows, 0);
    batchStartedAt = pending.length > 0 ? lastSampleAt : undefined;
    if (status.state === 'paused') {
      droppedBuckets = 0;
      setStatus({ state: 'ok' });
    }
    if (batch.length > 0) {
      try {
        options.onFlush?.({ bucketStartsMs: batch.map((g) => g.bucketMs), rows });
      } catch {
        // diagnostics only
      }
    }
    return { ok: true, rows };
  }

  // --- maintenance ---
  function retention(now: number): void {
    transaction(() => {
      tiers.forEach((tier, i) => {
        const cutoff = now - tier.retentionMs;
        db.prepare('DELETE FROM history_system WHERE tier_ms = ? AND bucket_ms < ?').run(tier.bucketMs, cutoff);
        db.prepare('DELETE FROM history_program WHERE tier_ms = ? AND bucket_ms < ?').run(tier.bucketMs, cutoff);
        if (i === 0) {
          db.prepare('DELETE FROM history_process WHERE bucket_ms < ?').run(cutoff);
          db.prepare('DELETE FROM history_process_info WHERE last_seen_ms < ?').run(cutoff - INFO_REFRESH_MS);
        }
      });
    });
  }

  function usedBytes(): number {
    db.exec('PRAGMA incremental_vacuum');
    const pageSize = pragmaNumber(db, 'page_size');
    return (pragmaNumber(db, 'page_count') - pragmaNumber(db, 'freelist_count')) * pageSize;
  }

  function oldestBucket(tierIndex: number): number | undefined {
    const tier = tiers[tierIndex] as TierConfig;
    const candidates = [
      (db.prepare('SELECT min(bucket_ms) FROM history_system WHERE tier_ms = ?').raw().get(tier.bucketMs) as unknown[])[0],
      (db.prepare('SELECT min(bucket_ms) FROM history_program WHERE tier_ms = ?').raw().get(tier.bucketMs) as unknown[])[0],
      tierIndex === 0 ? (db.prepare('SELECT min(bucket_ms) FROM history_process').raw().get() as unknown[])[0] : null,
    ].filter((v): v is number => typeof v === 'number');
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  }

  function enforceSizeCap(): void {
    if (!Number.isFinite(sizeCapBytes)) return;
    let size = usedBytes();
    for (let tierIndex = 0; tierIndex < tiers.length && size > sizeCapBytes; tierIndex++) {
      const tier = tiers[tierIndex] as TierConfig;
      const next = tiers[tierIndex + 1];
      // Only rows already folded into the next tier may go; the coarsest tier may lose anything.
      const deletableBefore = next ? rolledUpTo.get(next.bucketMs) ?? 0 : Number.POSITIVE_INFINITY;
      for (let step = 0; step < 200 && size > sizeCapBytes; step++) {
        const oldest = oldestBucket(tierIndex);
        if (oldest === undefined || oldest >= deletableBefore) break;
        const newest = Math.min(deletableBefore, (lastSampleAt ?? oldest) + 1);
        // Delete about a tenth of what is left, at least one bucket of the next tier.
        const chunkMs = Math.max(next?.bucketMs ?? tier.bucketMs, Math.ceil((newest - oldest) / 10 / tier.bucketMs) * tier.bucketMs);
        const before = Math.min(oldest + chunkMs, deletableBefore);
        transaction(() => {
          db.prepare('DELETE FROM history_system WHERE tier_ms = ? AND bucket_ms < ?').run(tier.bucketMs, before);
          db.prepare('DELETE FROM history_program WHERE tier_ms = ? AND bucket_ms < ?').run(tier.bucketMs, before);
          if (tierIndex === 0) {
            db.prepare('DELETE FROM history_process WHERE bucket_ms < ?').run(before);
            db.prepare('DELETE FROM history_process_info WHERE last_seen_ms < ?').run(before - INFO_REFRESH_MS);
          }
        });
        size = usedBytes();
      }
    }
  }

  function maintain(now?: number): void {
    if (!enabled) return;
    infoWritten.clear(); // identity rows may be deleted below; rewrite them when next seen
    const at = now ?? lastSampleAt ?? nowMs();
    try {
      retention(at);
      enforceSizeCap();
    } catch (error) {
      const { reason, message } = classifyWriteError(error);
      if (status.state === 'ok') setStatus({ state: 'paused', reason, message, sinceMs: nowMs(), droppedBuckets, pendingRows: pendingRowCount });
      nextRetryAt = (lastSampleAt ?? 0) + retryEveryMs;
    }
  }

  // --- append ---
  function append(sample: Sample): void {
    try {
      if (!Number.isFinite(sample.at)) return;
      ring.append(sample);
      if (!enabled) return;
      lastSampleAt = sample.at;
      const fine = fineMs();
      const start = Math.floor(sample.at / fine) * fine;
      if (open && open.startMs !== start) {
        enqueue(closeOpen(open), sample.at);
        open = undefined;
      }
      if (!open) {
        open = newOpen(start);
        partialBucketMs = undefined;
      }
      addToOpen(open, sample);

      const freeBytes = options.diskFreeBytes?.();
      const diskFull = freeBytes !== undefined && freeBytes < DISK_FULL_BELOW_BYTES;
      if (status.state === 'paused') {
        if (sample.at >= nextRetryAt && !diskFull) flush();
      } else if (diskFull) {
        // Write what is pending while it may still fit; if nothing is, or it did fit, say the disk is full now.
        if (pending.length === 0 || flush().ok) {
          setStatus({ state: 'paused', reason: 'disk-full', message: `the disk holding the history is full (${freeBytes} bytes free)`, sinceMs: nowMs(), droppedBuckets, pendingRows: pendingRowCount });
          nextRetryAt = sample.at + retryEveryMs;
        }
      } else if (pending.length > 0 && (pendingRowCount >= maxBatchRows || sample.at - (batchStartedAt ?? sample.at) >= flushEveryMs)) {
        flush();
      }
      if (status.state === 'ok' && (lastMaintenanceAt === undefined || sample.at - lastMaintenanceAt >= maintenanceEveryMs)) {
        lastMaintenanceAt = sample.at;
        maintain(sample.at);
      }
    } catch {
      // append never throws: monitoring and the engine go on whatever happens to history.
    }
  }

  // --- queries ---
  function pickTier(fromMs: number, toMs: number, resolutionMs?: number): TierConfig {
    if (resolutionMs !== undefined) {
      return tiers.find((t) => t.bucketMs >= resolutionMs) ?? (tiers[tiers.length - 1] as TierConfig);
    }
    const now = lastSampleAt ?? nowMs();
    const span = Math.max(0, toMs - fromMs);
    return (
      tiers.find((t) => fromMs >= now - t.retentionMs && span / t.bucketMs <= MAX_AUTO_POINTS) ??
      (tiers[tiers.length - 1] as TierConfig)
    );
  }

  /** Pending (not yet written) finest rows in a range, for queries to show what the db lacks yet. */
  function pendingGroups(fromMs: number, toMs: number): PendingGroup[] {
    const fine = fineMs();
    return pending.filter((g) => g.bucketMs > fromMs - fine && g.bucketMs < toMs);
  }

  function systemRowOut(tierMs: number, r: SystemBucket): SystemRow {
    const out: Record<string, unknown> = { tierMs, bucketMs: r.bucketMs, samples: r.samples, coveredMs: r.coveredMs, coresCpuPercentMean: r.cores };
    SYSTEM_COLUMNS.forEach((c, j) => (out[c.key] = r.values[j] ?? null));
    return out as unknown as SystemRow;
  }
  function programRowOut(tierMs: number, r: ProgramBucket): ProgramRow {
    const out: Record<string, unknown> = { tierMs, bucketMs: r.bucketMs, programId: r.programId, samples: r.samples, runningMs: r.coveredMs };
    PROGRAM_COLUMNS.forEach((c, j) => (out[c.key] = r.values[j] ?? null));
    return out as unknown as ProgramRow;
  }

  function mergeByKey<R extends Row>(stored: R[], extra: R[], keyOf: (r: R) => string, merge: (a: R, b: R) => R): R[] {
    if (extra.length === 0) return stored;
    const byKey = new Map(stored.map((r) => [keyOf(r), r] as const));
    for (const r of extra) {
      const old = byKey.get(keyOf(r));
      byKey.set(keyOf(r), old ? merge(old, r) : r);
    }
    return [...byKey.values()].sort((a, b) => a.bucketMs - b.bucketMs);
  }

  function querySystem(fromMs: number, toMs: number, resolutionMs?: number): TierQuery<SystemRow> {
    const tier = pickTier(fromMs, toMs, resolutionMs);
    let rows = (stmt.sysRange.all(tier.bucketMs, fromMs - tier.bucketMs + 1, toMs) as unknown[][]).map(sysFromRaw);
    if (tier === tiers[0]) {
      rows = mergeByKey(rows, pendingGroups(fromMs, toMs).map((g) => g.system), (r) => String(r.bucketMs), (a, b) => ({
        ...b,
        samples: a.samples + b.samples,
        coveredMs: a.coveredMs + b.coveredMs,
        cores: mergeCores([a, b]),
        values: mergeValues([a, b], SYSTEM_COLUMNS),
      }));
    }
    return { tierMs: tier.bucketMs, rows: rows.map((r) => systemRowOut(tier.bucketMs, r)) };
  }

  function queryProgram(programId: string, fromMs: number, toMs: number, resolutionMs?: number): TierQuery<ProgramRow> {
    const tier = pickTier(fromMs, toMs, resolutionMs);
    let rows = (stmt.progRangeOne.all(programId, tier.bucketMs, fromMs - tier.bucketMs + 1, toMs) as unknown[][]).map(progFromRaw);
    if (tier === tiers[0]) {
      const extra = pendingGroups(fromMs, toMs).flatMap((g) => g.programs.filter((p) => p.programId === programId));
      rows = mergeByKey(rows, extra, (r) => String(r.bucketMs), (a, b) => ({
        ...b,
        samples: a.samples + b.samples,
        coveredMs: a.coveredMs + b.coveredMs,
        values: mergeValues([a, b], PROGRAM_COLUMNS),
      }));
    }
    return { tierMs: tier.bucketMs, rows: rows.map((r) => programRowOut(tier.bucketMs, r)) };
  }

  function queryProcesses(fromMs: number, toMs: number, filter: { programId?: string; pid?: number } = {}): ProcessRow[] {
    const fine = fineMs();
    const rows: ProcessRow[] = [];
    for (const raw of iterateProcessRows(db, { fromMs, toMs, fineMs: fine, ...filter })) rows.push(raw);
    return rows;
  }

  function topPrograms(fromMs: number, toMs: number, by: TopBy, limit = 10): TopProgram[] {
    const tier = pickTier(fromMs, toMs);
    const order = { cpu: 'cpu_seconds', rss: 'rss_max_bytes', io: 'io_bytes', running: 'running_ms' }[by];
    if (!order) return [];
    const rows = db
      .prepare(
        `SELECT program_id,
                coalesce(sum(cpu_percent_mean * running_ms), 0) / 100000.0 AS cpu_seconds,
                max(rss_bytes_max) AS rss_max_bytes,
                coalesce(sum((coalesce(read_bytes_per_sec_mean, 0) + coalesce(write_bytes_per_sec_mean, 0)) * running_ms), 0) / 1000.0 AS io_bytes,
                sum(running_ms) AS running_ms
         FROM history_program WHERE tier_ms = ? AND bucket_ms > ? AND bucket_ms < ?
         GROUP BY program_id ORDER BY ${order} DESC, program_id LIMIT ?`,
      )
      .raw()
      .all(tier.bucketMs, fromMs - tier.bucketMs, toMs, Math.max(0, Math.floor(limit))) as unknown[][];
    return rows.map((r) => ({
      programId: r[0] as string,
      cpuSeconds: Number(r[1]),
      rssMaxBytes: r[2] === null ? null : Number(r[2]),
      ioBytes: Number(r[3]),
      runningMs: Number(r[4]),
    }));
  }

  function hourOfWeek(programId: string, sinceMs = 0): number[] {
    const hours = new Array<number>(168).fill(0);
    const candidates = tiers.filter((t) => t.bucketMs <= HOUR_MS && HOUR_MS % t.bucketMs === 0);
    const tier = candidates.reduce<TierConfig | undefined>((best, t) => (!best || t.retentionMs >= best.retentionMs ? t : best), undefined) ?? (tiers[0] as TierConfig);
    const rows = db
      .prepare('SELECT bucket_ms, running_ms FROM history_program WHERE program_id = ? AND tier_ms = ? AND bucket_ms >= ?')
      .raw()
      .iterate(programId, tier.bucketMs, sinceMs) as Iterable<[number, number]>;
    let coveredUntilMs = sinceMs;
    const add = (bucketMs: number, runningMs: number): void => {
      const d = new Date(bucketMs);
      const index = d.getDay() * 24 + d.getHours();
      hours[index] = (hours[index] ?? 0) + runningMs;
    };
    for (const [bucketMs, runningMs] of rows) {
      add(bucketMs, runningMs);
      coveredUntilMs = Math.max(coveredUntilMs, bucketMs + tier.bucketMs);
    }
    // The long tier is folded later (an hour bucket closes once an hour): the time since then comes
    // from the finest tier, so a program seen today shows today.
    const finest = tiers[0] as TierConfig;
    if (finest.bucketMs !== tier.bucketMs) {
      const recent = db
        .prepare('SELECT bucket_ms, running_ms FROM history_program WHERE program_id = ? AND tier_ms = ? AND bucket_ms >= ?')
        .raw()
        .iterate(programId, finest.bucketMs, coveredUntilMs) as Iterable<[number, number]>;
      for (const [bucketMs, runningMs] of recent) add(bucketMs, runningMs);
    }
    return hours;
  }

  return {
    append,
    flush,
    close(): FlushResult {
      if (open && enabled) {
        partialBucketMs = open.startMs;
        enqueue(closeOpen(open), lastSampleAt ?? open.startMs);
        open = undefined;
      }
      return flush();
    },
    status: () => status,
    onStatusChange(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    maintain,
    sizeBytes: () => pragmaNumber(db, 'page_count') * pragmaNumber(db, 'page_size'),
    querySystem,
    queryProgram,
    queryProcesses,
    topPrograms,
    hourOfWeek,
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
        if (next.tiers[0]?.bucketMs !== fineMs() && open) {
          enqueue(closeOpen(open), lastSampleAt ?? open.startMs);
          open = undefined;
        }
        tiers = next.tiers;
        loadWatermarks();
      }
      if (next.sizeCapBytes !== undefined) sizeCapBytes = next.sizeCapBytes > 0 ? next.sizeCapBytes : Number.POSITIVE_INFINITY;
      if (next.processRows !== undefined) processRows = next.processRows;
      if (next.perCore !== undefined) perCore = next.perCore;
      if (next.enabled !== undefined) enabled = next.enabled;
    },
    pendingRows: () => pendingRowCount,
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

// ---------------------------------------------------------------------------------------------
// Streaming reads shared with export
// ---------------------------------------------------------------------------------------------

/** Per-process rows (finest tier) joined with their identity, oldest first. Streams from the db. */
export function* iterateProcessRows(
  db: Db,
  q: { fromMs: number; toMs: number; fineMs: number; programId?: string; pid?: number },
): Generator<ProcessRow> {
  const where = ['p.bucket_ms > ?', 'p.bucket_ms < ?'];
  const params: unknown[] = [q.fromMs - q.fineMs, q.toMs];
  if (q.programId !== undefined) {
    where.push('p.program_id = ?');
    params.push(q.programId);
  }
  if (q.pid !== undefined) {
    where.push('p.pid = ?');
    params.push(q.pid);
  }
  const cols = PROCESS_COLUMNS.map((c) => `p.${c.column}`).join(', ');
  const rows = db
    .prepare(
      `SELECT p.bucket_ms, p.pid, p.start_time, p.program_id, i.name, i.cmdline, i.user, i.exe, p.samples, p.running_ms, ${cols}
       FROM history_process p
       LEFT JOIN history_process_info i ON i.pid = p.pid AND i.start_time = p.start_time AND i.program_id = p.program_id
       WHERE ${where.join(' AND ')} ORDER BY p.bucket_ms, p.pid, p.start_time`,
    )
    .raw()
    .iterate(...params) as Iterable<unknown[]>;
  for (const r of rows) {
    const out: Record<string, unknown> = {
      tierMs: q.fineMs,
      bucketMs: r[0],
      pid: r[1],
      startTime: r[2],
      programId: r[3],
      name: r[4] ?? '',
      cmdline: r[5] ?? '',
      user: r[6] ?? '',
      exe: r[7] ?? null,
      samples: r[8],
      runningMs: r[9],
    };
    PROCESS_COLUMNS.forEach((c, j) => (out[c.key] = (r[10 + j] as number | null) ?? null));
    yield out as unknown as ProcessRow;
  }
}
