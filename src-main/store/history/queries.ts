// The history's read side, used by the History view, the API and export: ranges of system and
// program rows at the tier that fits (with rows still waiting to be written merged in at the finest
// tier), process rows, the programs that used the most, and a program's hour-of-week running time.
import type { Db } from '../db';
import { mergeProgramRows, mergeSystemRows, type PendingGroup, type ProgramBucket, type Row, type SystemBucket } from './aggregation';
import { PROCESS_COLUMNS, PROGRAM_COLUMNS, SYSTEM_COLUMNS } from './metrics';
import { progFromRaw, sysFromRaw, type HistoryStatements } from './schema';
import { hourOfWeekTier, pickTier, type TierConfig } from './tiers';
import type { ProcessRow, ProgramRow, SystemRow, TierQuery, TopBy, TopProgram } from './types';

export function systemRowOut(tierMs: number, r: SystemBucket): SystemRow {
  const out: Record<string, unknown> = { tierMs, bucketMs: r.bucketMs, samples: r.samples, coveredMs: r.coveredMs, coresCpuPercentMean: r.cores };
  SYSTEM_COLUMNS.forEach((c, j) => (out[c.key] = r.values[j] ?? null));
  return out as unknown as SystemRow;
}

export function programRowOut(tierMs: number, r: ProgramBucket): ProgramRow {
  const out: Record<string, unknown> = { tierMs, bucketMs: r.bucketMs, programId: r.programId, samples: r.samples, runningMs: r.coveredMs };
  PROGRAM_COLUMNS.forEach((c, j) => (out[c.key] = r.values[j] ?? null));
  return out as unknown as ProgramRow;
}

/** Stored rows with `extra` rows added: merged where their keys meet, sorted by bucket. */
export function mergeByKey<R extends Row>(stored: R[], extra: R[], keyOf: (r: R) => string, merge: (a: R, b: R) => R): R[] {
  if (extra.length === 0) return stored;
  const byKey = new Map(stored.map((r) => [keyOf(r), r] as const));
  for (const r of extra) {
    const old = byKey.get(keyOf(r));
    byKey.set(keyOf(r), old ? merge(old, r) : r);
  }
  return [...byKey.values()].sort((a, b) => a.bucketMs - b.bucketMs);
}

export interface QueryOptions {
  db: Db;
  statements: HistoryStatements;
  tiers: () => readonly TierConfig[];
  /** "Now" for picking a tier: the newest sample's time, else the wall clock. */
  nowMs: () => number;
  /** Closed finest-tier buckets not written yet. */
  pending: () => readonly PendingGroup[];
}

export function createQueries(options: QueryOptions) {
  const { db, statements: stmt, tiers } = options;
  const fineMs = () => (tiers()[0] as TierConfig).bucketMs;
  const tierFor = (fromMs: number, toMs: number, resolutionMs?: number) => pickTier(tiers(), fromMs, toMs, options.nowMs(), resolutionMs);

  /** Pending (not yet written) finest rows in a range, for queries to show what the db lacks yet. */
  function pendingGroups(fromMs: number, toMs: number): PendingGroup[] {
    const fine = fineMs();
    return options.pending().filter((g) => g.bucketMs > fromMs - fine && g.bucketMs < toMs);
  }

  function querySystem(fromMs: number, toMs: number, resolutionMs?: number): TierQuery<SystemRow> {
    const tier = tierFor(fromMs, toMs, resolutionMs);
    let rows = (stmt.sysRange.all(tier.bucketMs, fromMs - tier.bucketMs + 1, toMs) as unknown[][]).map(sysFromRaw);
    if (tier === tiers()[0]) {
      const extra = pendingGroups(fromMs, toMs).map((g) => g.system);
      rows = mergeByKey(rows, extra, (r) => String(r.bucketMs), (a, b) => mergeSystemRows([a, b], b.bucketMs));
    }
    return { tierMs: tier.bucketMs, rows: rows.map((r) => systemRowOut(tier.bucketMs, r)) };
  }

  function queryProgram(programId: string, fromMs: number, toMs: number, resolutionMs?: number): TierQuery<ProgramRow> {
    const tier = tierFor(fromMs, toMs, resolutionMs);
    let rows = (stmt.progRangeOne.all(programId, tier.bucketMs, fromMs - tier.bucketMs + 1, toMs) as unknown[][]).map(progFromRaw);
    if (tier === tiers()[0]) {
      const extra = pendingGroups(fromMs, toMs).flatMap((g) => g.programs.filter((p) => p.programId === programId));
      rows = mergeByKey(rows, extra, (r) => String(r.bucketMs), (a, b) => mergeProgramRows([a, b], b.bucketMs));
    }
    return { tierMs: tier.bucketMs, rows: rows.map((r) => programRowOut(tier.bucketMs, r)) };
  }

  function queryProcesses(fromMs: number, toMs: number, filter: { programId?: string; pid?: number } = {}): ProcessRow[] {
    return [...iterateProcessRows(db, { fromMs, toMs, fineMs: fineMs(), ...filter })];
  }

  function topPrograms(fromMs: number, toMs: number, by: TopBy, limit = 10): TopProgram[] {
    const tier = tierFor(fromMs, toMs);
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
    const all = tiers();
    const tier = hourOfWeekTier(all);
    const runningSince = (tierMs: number, fromMs: number) =>
      db
        .prepare('SELECT bucket_ms, running_ms FROM history_program WHERE program_id = ? AND tier_ms = ? AND bucket_ms >= ?')
        .raw()
        .iterate(programId, tierMs, fromMs) as Iterable<[number, number]>;
    let coveredUntilMs = sinceMs;
    const add = (bucketMs: number, runningMs: number): void => {
      const d = new Date(bucketMs);
      const index = d.getDay() * 24 + d.getHours();
      hours[index] = (hours[index] ?? 0) + runningMs;
    };
    for (const [bucketMs, runningMs] of runningSince(tier.bucketMs, sinceMs)) {
      add(bucketMs, runningMs);
      coveredUntilMs = Math.max(coveredUntilMs, bucketMs + tier.bucketMs);
    }
    // The long tier is folded later (an hour bucket closes once an hour): the time since then comes
    // from the finest tier, so a program seen today shows today.
    const finest = all[0] as TierConfig;
    if (finest.bucketMs !== tier.bucketMs) {
      for (const [bucketMs, runningMs] of runningSince(finest.bucketMs, coveredUntilMs)) add(bucketMs, runningMs);
    }
    return hours;
  }

  return { querySystem, queryProgram, queryProcesses, topPrograms, hourOfWeek };
}

/** Per-process rows (finest tier) joined with their identity, oldest first. Streams from the db (export reads it too). */
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
