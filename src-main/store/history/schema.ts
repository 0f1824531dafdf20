// The history's tables (one migration; metric columns come from metrics.ts), the prepared
// statements that read and write them, and the mapping between in-memory bucket rows and SQL
// parameters. Everything that knows a column's position is here.
//
// Tables: history_system (tier_ms, bucket_ms) and history_program (tier_ms, bucket_ms, program_id)
// hold every tier; history_process holds the finest tier only, and history_process_info each
// process's identity (name, cmdline, user, exe) once, with the time it was first and last seen.
// history_meta keeps each coarser tier's roll-up watermark (`rolled_up_to:<tier_ms>`).
import type { Db, Migration } from '../db';
import type { ProcessBucket, ProgramBucket, Row, SystemBucket } from './aggregation';
import { PROCESS_COLUMNS, PROGRAM_COLUMNS, SYSTEM_COLUMNS, type MetricColumn } from './metrics';
import { HOUR_MS } from './tiers';

/** A process's identity row is rewritten at most this often (its last_seen_ms), and outlives its last row by this much. */
export const INFO_REFRESH_MS = HOUR_MS;

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

export function pragmaNumber(db: Db, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).raw().get() as unknown[] | undefined;
  return Number(row?.[0] ?? 0);
}

/** Switch an existing database to incremental auto-vacuum (needs one VACUUM); false if it could not. */
export function ensureIncrementalVacuum(db: Db): boolean {
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

/** Run `work` in one write transaction; on error roll back (if SQLite has not already) and rethrow. */
export function transaction(db: Db, work: () => void): void {
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

const SYSTEM_SQL_COLUMNS = ['tier_ms', 'bucket_ms', 'samples', 'covered_ms', 'cores_json', ...SYSTEM_COLUMNS.map((c) => c.column)];
const PROGRAM_SQL_COLUMNS = ['tier_ms', 'bucket_ms', 'program_id', 'samples', 'running_ms', ...PROGRAM_COLUMNS.map((c) => c.column)];
const PROCESS_SQL_COLUMNS = ['bucket_ms', 'pid', 'start_time', 'program_id', 'samples', 'running_ms', ...PROCESS_COLUMNS.map((c) => c.column)];

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const insertSql = (table: string, cols: string[], verb: string) => `${verb} INTO ${table} (${cols.join(', ')}) VALUES (${placeholders(cols.length)})`;

export type HistoryStatements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Db) {
  const [sysCols, progCols, procCols] = [SYSTEM_SQL_COLUMNS, PROGRAM_SQL_COLUMNS, PROCESS_SQL_COLUMNS];
  return {
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
}

/** The history_meta key of a coarser tier's roll-up watermark. */
export const rolledKey = (tierMs: number) => `rolled_up_to:${tierMs}`;

const round3 = (v: number) => Math.round(v * 1000) / 1000;

// Row <-> SQL: parameters in the column order above; raw rows as `.raw()` statements return them.
export const sysToParams = (tierMs: number, r: SystemBucket) => [tierMs, r.bucketMs, r.samples, Math.round(r.coveredMs), r.cores ? JSON.stringify(r.cores.map(round3)) : null, ...r.values];
export const sysFromRaw = (raw: unknown[]): SystemBucket => ({
  bucketMs: raw[1] as number,
  samples: raw[2] as number,
  coveredMs: raw[3] as number,
  cores: raw[4] === null ? null : (JSON.parse(raw[4] as string) as number[]),
  values: raw.slice(5) as Array<number | null>,
});
export const progToParams = (tierMs: number, r: ProgramBucket) => [tierMs, r.bucketMs, r.programId, r.samples, Math.round(r.coveredMs), ...r.values];
export const progFromRaw = (raw: unknown[]): ProgramBucket => ({
  bucketMs: raw[1] as number,
  programId: raw[2] as string,
  samples: raw[3] as number,
  coveredMs: raw[4] as number,
  values: raw.slice(5) as Array<number | null>,
});
export const procToParams = (r: ProcessBucket) => [r.bucketMs, r.pid, r.startTime, r.programId, r.samples, Math.round(r.coveredMs), ...r.values];
/** The stored statistics of a process row (its identity stays with the caller). */
export const procStatsFromRaw = (bucketMs: number, raw: unknown[]): Row => ({ bucketMs, samples: raw[4] as number, coveredMs: raw[5] as number, values: raw.slice(6) as Array<number | null> });
