// The history's write side: closed buckets wait in a batch that is written in ONE transaction when it
// is old enough (`flushEveryMs` of sample time) or big enough (`maxBatchRows`), together with the
// roll-ups of coarser tiers; retention and the size cap run every `maintenanceEveryMs`.
//
// - WAL mode: a crash or `kill -9` loses at most the open bucket and the unwritten batch, never a
//   committed one, and never corrupts the file.
// - Coarser tiers (1 min, 1 h, ...) are rolled up from the next finer tier, in the same transaction,
//   once their buckets are closed; each tier's watermark (`rolled_up_to`) is stored with the data,
//   so a crash never leaves a coarse tier half-built and a restart picks up where it stopped.
// - A failed write (SQLITE_FULL / ENOSPC / SQLITE_IOERR / anything else) pauses history: the batch is
//   kept (bounded by `maxPendingRows`, oldest buckets dropped and counted), `status()` says why, and a
//   retry runs every `retryEveryMs` of sample time until a write succeeds. A disk with less than
//   DISK_FULL_BELOW_BYTES free pauses it at once.
import type { Db } from '../db';
import { mergeProgramRows, mergeRowStats, mergeSystemRows, rollUpProgramRows, rollUpSystemRows, type PendingGroup } from './aggregation';
import { PROCESS_COLUMNS } from './metrics';
import { applyRetention, enforceSizeCap } from './retention';
import {
  INFO_REFRESH_MS,
  procStatsFromRaw,
  procToParams,
  progFromRaw,
  progToParams,
  rolledKey,
  sysFromRaw,
  sysToParams,
  transaction,
  type HistoryStatements,
} from './schema';
import type { TierConfig } from './tiers';
import type { FlushInfo, FlushResult, HistoryStatus, PauseReason } from './types';

/** Below this much free space the disk counts as full. */
export const DISK_FULL_BELOW_BYTES = 64 * 1024;

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

export interface WriterOptions {
  db: Db;
  statements: HistoryStatements;
  /** The current tiers (they may change with `configure`). */
  tiers: () => readonly TierConfig[];
  /** Sample time of the newest sample, if any. */
  lastSampleAt: () => number | undefined;
  /** Start of the first bucket that is not final (the open one, or one close() wrote partly); undefined: all pending buckets are final. */
  openFromMs: () => number | undefined;
  nowMs: () => number;
  flushEveryMs: number;
  maxBatchRows: number;
  maxPendingRows: number;
  retryEveryMs: number;
  maintenanceEveryMs: number;
  sizeCapBytes: number;
  onFlush?: (info: FlushInfo) => void;
}

export function createWriter(options: WriterOptions) {
  const { db, statements: stmt, tiers, lastSampleAt, nowMs } = options;
  const { flushEveryMs, maxBatchRows, maxPendingRows, retryEveryMs, maintenanceEveryMs } = options;
  let sizeCapBytes = options.sizeCapBytes;
  let pending: PendingGroup[] = [];
  let pendingRowCount = 0;
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

  function loadWatermarks(): void {
    for (const tier of tiers().slice(1)) {
      const row = stmt.metaGet.get(rolledKey(tier.bucketMs)) as unknown[] | undefined;
      rolledUpTo.set(tier.bucketMs, row ? Number(row[0]) : 0);
    }
  }
  loadWatermarks();

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

  function pause(reason: PauseReason, message: string): void {
    setStatus({ state: 'paused', reason, message, sinceMs: nowMs(), droppedBuckets, pendingRows: pendingRowCount });
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
      const old = sysFromRaw(stmt.sysGet.get(fine, group.bucketMs) as unknown[]);
      stmt.sysReplace.run(...sysToParams(fine, mergeSystemRows([old, group.system], group.bucketMs)));
    }
    for (const row of group.programs) {
      if (stmt.progInsertNew.run(...progToParams(fine, row)).changes === 0) {
        const old = progFromRaw(stmt.progGet.get(fine, row.bucketMs, row.programId) as unknown[]);
        stmt.progReplace.run(...progToParams(fine, mergeProgramRows([old, row], row.bucketMs)));
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
        const old = procStatsFromRaw(row.bucketMs, stmt.procGet.get(row.bucketMs, row.pid, row.startTime, row.programId) as unknown[]);
        stmt.procReplace.run(...procToParams({ ...row, ...mergeRowStats([old, row], PROCESS_COLUMNS) }));
      }
    }
  }

  /** Roll closed buckets of each coarser tier up from the tier below. Runs inside the flush transaction. */
  function rollUp(watermarkMs: number, updates: Map<number, number>): void {
    const all = tiers();
    for (let i = 1; i < all.length; i++) {
      const tier = all[i] as TierConfig;
      const source = all[i - 1] as TierConfig;
      const from = updates.get(tier.bucketMs) ?? rolledUpTo.get(tier.bucketMs) ?? 0;
      const closedEnd = Math.floor(watermarkMs / tier.bucketMs) * tier.bucketMs;
      if (closedEnd <= from) continue;
      const start = Math.floor(from / tier.bucketMs) * tier.bucketMs;
      const systemRows = [...(stmt.sysRange.iterate(source.bucketMs, start, closedEnd) as Iterable<unknown[]>)].map(sysFromRaw);
      for (const row of rollUpSystemRows(systemRows, tier.bucketMs)) stmt.sysReplace.run(...sysToParams(tier.bucketMs, row));
      const programRows = [...(stmt.progRangeAll.iterate(source.bucketMs, start, closedEnd) as Iterable<unknown[]>)].map(progFromRaw);
      for (const row of rollUpProgramRows(programRows, tier.bucketMs)) stmt.progReplace.run(...progToParams(tier.bucketMs, row));
      stmt.metaSet.run(rolledKey(tier.bucketMs), closedEnd);
      updates.set(tier.bucketMs, closedEnd);
    }
  }

  /** Write the pending batch and the roll-ups it completes, in one transaction. */
  function flush(): FlushResult {
    const batch = pending;
    const fine = (tiers()[0] as TierConfig).bucketMs;
    // Everything before the open bucket is final once this batch is in.
    // A bucket closed early by close() may still grow after a restart, so it is not final either.
    const watermark = options.openFromMs() ?? (batch.length > 0 ? (batch[batch.length - 1] as PendingGroup).bucketMs + fine : undefined);
    const updates = new Map<number, number>();
    let rows = 0;
    try {
      transaction(db, () => {
        for (const group of batch) {
          writeFine(group, fine);
          rows += group.rows;
        }
        if (watermark !== undefined) rollUp(watermark, updates);
      });
    } catch (error) {
      infoWrites.clear();
      const { reason, message } = classifyWriteError(error);
      if (status.state === 'ok') pause(reason, message);
      else setStatus({ ...status, reason, message, droppedBuckets, pendingRows: pendingRowCount });
      nextRetryAt = (lastSampleAt() ?? 0) + retryEveryMs;
      return { ok: false, reason, message };
    }
    for (const [tierMs, value] of updates) rolledUpTo.set(tierMs, value);
    for (const [key, value] of infoWrites) infoWritten.set(key, value);
    infoWrites.clear();
    if (infoWritten.size > 50_000) infoWritten.clear(); // a cache: forgetting only costs a rewrite
    // Samples appended while the batch was written (none today: append is synchronous) stay pending.
    pending = pending.slice(batch.length);
    pendingRowCount = pending.reduce((n, g) => n + g.rows, 0);
    batchStartedAt = pending.length > 0 ? lastSampleAt() : undefined;
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

  /** Retention and the size cap as of `atMs`; a failure pauses history like a failed write. */
  function maintain(atMs: number): void {
    infoWritten.clear(); // identity rows may be deleted below; rewrite them when next seen
    try {
      applyRetention(db, tiers(), atMs);
      enforceSizeCap(db, { tiers: tiers(), sizeCapBytes, rolledUpTo, lastSampleAt: lastSampleAt() });
    } catch (error) {
      const { reason, message } = classifyWriteError(error);
      if (status.state === 'ok') pause(reason, message);
      nextRetryAt = (lastSampleAt() ?? 0) + retryEveryMs;
    }
  }

  /** After each appended sample: write when due, retry while paused, notice a full disk, maintain when due. */
  function afterSample(atMs: number, freeBytes: number | undefined): void {
    const diskFull = freeBytes !== undefined && freeBytes < DISK_FULL_BELOW_BYTES;
    if (status.state === 'paused') {
      if (atMs >= nextRetryAt && !diskFull) flush();
    } else if (diskFull) {
      // Write what is pending while it may still fit; if nothing is, or it did fit, say the disk is full now.
      if (pending.length === 0 || flush().ok) {
        pause('disk-full', `the disk holding the history is full (${freeBytes} bytes free)`);
        nextRetryAt = atMs + retryEveryMs;
      }
    } else if (pending.length > 0 && (pendingRowCount >= maxBatchRows || atMs - (batchStartedAt ?? atMs) >= flushEveryMs)) {
      flush();
    }
    if (status.state === 'ok' && (lastMaintenanceAt === undefined || atMs - lastMaintenanceAt >= maintenanceEveryMs)) {
      lastMaintenanceAt = atMs;
      maintain(atMs);
    }
  }

  return {
    enqueue,
    flush,
    maintain,
    afterSample,
    loadWatermarks,
    status: () => status,
    onStatusChange(listener: (status: HistoryStatus) => void): () => void {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    /** Closed buckets not written yet, oldest first. */
    pending: (): readonly PendingGroup[] => pending,
    pendingRows: () => pendingRowCount,
    setSizeCapBytes(bytes: number): void {
      sizeCapBytes = bytes;
    },
  };
}
