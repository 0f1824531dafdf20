// Export of history for model training: CSV (RFC 4180) or JSON Lines, one row per bucket per
// program, per process, or for the whole system. Rows stream straight from SQLite, so exporting a
// month does not load a month into memory. Columns are documented in `COLUMNS` (name, unit,
// description), which the README and `allot export --help` list.
import type { Writable } from 'node:stream';
import type { Db } from './db';
import {
  DEFAULT_TIERS,
  PROCESS_COLUMNS,
  PROGRAM_COLUMNS,
  SYSTEM_COLUMNS,
  iterateProcessRows,
  type MetricColumn,
} from './history';
import { errorMessage } from '../../src-shared/errors';

export type ExportFormat = 'csv' | 'jsonl';
export type ExportLevel = 'system' | 'program' | 'process';

export interface ColumnDoc {
  name: string;
  unit: string;
  description: string;
  type: 'integer' | 'number' | 'string' | 'json';
}

const metricDocs = (columns: readonly MetricColumn[]): ColumnDoc[] =>
  columns.map((c) => ({ name: c.column, unit: c.unit, description: c.description, type: 'number' }));

const BUCKET: ColumnDoc[] = [
  { name: 'bucket_start_ms', unit: 'ms since epoch', description: 'start of the bucket (UTC)', type: 'integer' },
  { name: 'tier_ms', unit: 'ms', description: 'bucket width (10000 = the 10 s tier)', type: 'integer' },
];
const SAMPLES: ColumnDoc = { name: 'samples', unit: 'samples', description: 'samples aggregated into the row', type: 'integer' };
const RUNNING: ColumnDoc = { name: 'running_ms', unit: 'ms', description: 'time in the bucket during which it had a process (means are over this time)', type: 'integer' };

/** Every exported column per level, in output order. Empty CSV field / JSON null = not measured. */
export const COLUMNS: Readonly<Record<ExportLevel, readonly ColumnDoc[]>> = {
  system: [
    ...BUCKET,
    SAMPLES,
    { name: 'covered_ms', unit: 'ms', description: 'sampled time in the bucket', type: 'integer' },
    ...metricDocs(SYSTEM_COLUMNS),
    { name: 'cores_cpu_percent_mean', unit: '%', description: 'mean CPU per logical core, JSON array indexed by core', type: 'json' },
  ],
  program: [
    ...BUCKET,
    { name: 'program_id', unit: '', description: 'program identity (executable across runs)', type: 'string' },
    SAMPLES,
    RUNNING,
    ...metricDocs(PROGRAM_COLUMNS),
  ],
  process: [
    ...BUCKET,
    { name: 'pid', unit: '', description: 'process id', type: 'integer' },
    { name: 'start_time', unit: 'OS ticks', description: 'process start value; (pid, start_time) identifies a process', type: 'number' },
    { name: 'program_id', unit: '', description: 'program identity', type: 'string' },
    { name: 'name', unit: '', description: 'process name', type: 'string' },
    { name: 'user', unit: '', description: 'owner', type: 'string' },
    { name: 'exe', unit: '', description: 'executable path, when readable', type: 'string' },
    { name: 'cmdline', unit: '', description: 'command line', type: 'string' },
    SAMPLES,
    RUNNING,
    ...metricDocs(PROCESS_COLUMNS),
  ],
};

export interface ExportOptions {
  fromMs: number;
  toMs: number;
  format: ExportFormat;
  level: ExportLevel;
  /** Bucket width of the tier to export (system and program); default the finest (10 s). Process rows exist at the finest tier only. */
  tierMs?: number;
  /** Only this program (program and process levels). */
  programId?: string;
}

export type ExportResult = { ok: true; lines: Iterable<string> } | { ok: false; error: string };

type Value = string | number | null | number[];

/**
 * Lines of the export, each ending in "\n"; the CSV header comes first. Call history.flush() first
 * to include the batch still in memory. Bad options give `{ ok: false }` and read nothing.
 */
export function exportRows(db: Db, options: ExportOptions): ExportResult {
  const error = validate(options);
  if (error) return { ok: false, error };
  const tierMs = options.tierMs ?? (DEFAULT_TIERS[0]?.bucketMs as number);
  const columns = COLUMNS[options.level];
  const names = columns.map((c) => c.name);
  const format = options.format === 'csv' ? (values: Value[]) => csvLine(values) : (values: Value[]) => jsonLine(names, values);
  function* lines(): Generator<string> {
    if (options.format === 'csv') yield csvLine(names);
    for (const values of rowValues(db, options, tierMs)) yield format(values);
  }
  return { ok: true, lines: lines() };
}

/** Write an export to a stream, honouring backpressure. Resolves with the number of data rows. */
export async function writeExport(
  db: Db,
  options: ExportOptions,
  out: Writable,
): Promise<{ ok: true; rows: number } | { ok: false; error: string }> {
  const result = exportRows(db, options);
  if (!result.ok) return result;
  let rows = 0;
  try {
    for (const line of result.lines) {
      if (!out.write(line)) {
        await new Promise<void>((resolve, reject) => {
          const onError = (e: Error) => {
            out.off('drain', onDrain);
            reject(e);
          };
          const onDrain = () => {
            out.off('error', onError);
            resolve();
          };
          out.once('error', onError);
          out.once('drain', onDrain);
        });
      }
      rows += 1;
    }
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
  return { ok: true, rows: options.format === 'csv' ? rows - 1 : rows };
}

function validate(o: ExportOptions): string | undefined {
  if (!Number.isFinite(o.fromMs) || !Number.isFinite(o.toMs)) return 'fromMs and toMs must be numbers (ms since epoch)';
  if (o.toMs < o.fromMs) return `toMs (${o.toMs}) is before fromMs (${o.fromMs})`;
  if (o.format !== 'csv' && o.format !== 'jsonl') return `format must be "csv" or "jsonl", got ${JSON.stringify(o.format)}`;
  if (!(o.level in COLUMNS)) return `level must be "system", "program" or "process", got ${JSON.stringify(o.level)}`;
  if (o.tierMs !== undefined && (!Number.isInteger(o.tierMs) || o.tierMs <= 0)) return `tierMs must be a positive integer, got ${o.tierMs}`;
  if (o.level === 'process' && o.tierMs !== undefined && o.tierMs !== DEFAULT_TIERS[0]?.bucketMs) {
    return `process rows exist only at the finest tier (${DEFAULT_TIERS[0]?.bucketMs} ms)`;
  }
  return undefined;
}

function* rowValues(db: Db, o: ExportOptions, tierMs: number): Generator<Value[]> {
  const from = o.fromMs - tierMs; // buckets overlapping [fromMs, toMs)
  if (o.level === 'system') {
    const cols = SYSTEM_COLUMNS.map((c) => c.column).join(', ');
    const rows = db
      .prepare(`SELECT bucket_ms, tier_ms, samples, covered_ms, ${cols}, cores_json FROM history_system WHERE tier_ms = ? AND bucket_ms > ? AND bucket_ms < ? ORDER BY bucket_ms`)
      .raw()
      .iterate(tierMs, from, o.toMs) as Iterable<unknown[]>;
    for (const r of rows) {
      const cores = r[r.length - 1];
      yield [...(r.slice(0, -1) as Value[]), typeof cores === 'string' ? (JSON.parse(cores) as number[]) : null];
    }
    return;
  }
  if (o.level === 'program') {
    const cols = PROGRAM_COLUMNS.map((c) => c.column).join(', ');
    const filter = o.programId !== undefined ? ' AND program_id = ?' : '';
    const params: unknown[] = [tierMs, from, o.toMs];
    if (o.programId !== undefined) params.push(o.programId);
    const rows = db
      .prepare(`SELECT bucket_ms, tier_ms, program_id, samples, running_ms, ${cols} FROM history_program WHERE tier_ms = ? AND bucket_ms > ? AND bucket_ms < ?${filter} ORDER BY bucket_ms, program_id`)
      .raw()
      .iterate(...params) as Iterable<Value[]>;
    yield* rows;
    return;
  }
  const q = { fromMs: o.fromMs, toMs: o.toMs, fineMs: tierMs, ...(o.programId !== undefined ? { programId: o.programId } : {}) };
  for (const r of iterateProcessRows(db, q)) {
    yield [r.bucketMs, r.tierMs, r.pid, r.startTime, r.programId, r.name, r.user, r.exe, r.cmdline, r.samples, r.runningMs,
      ...PROCESS_COLUMNS.map((c) => (r as unknown as Record<string, number | null>)[c.key] ?? null)];
  }
}

// ---------------------------------------------------------------------------------------------
// CSV and JSON Lines
// ---------------------------------------------------------------------------------------------

/** RFC 4180 field: quoted when it holds a quote, comma, CR/LF or edge spaces; quotes doubled. */
export function csvField(value: Value | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? numberText(value) : Array.isArray(value) ? JSON.stringify(value) : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function numberText(n: number): string {
  // String(n) is the shortest text that parses back to the same double.
  return Number.isFinite(n) ? String(n) : '';
}

export function csvLine(values: readonly Value[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

function jsonLine(names: readonly string[], values: readonly Value[]): string {
  const record: Record<string, Value> = {};
  names.forEach((name, i) => (record[name] = values[i] ?? null));
  return JSON.stringify(record) + '\n';
}

/** Parse RFC 4180 CSV (quoted fields may hold commas, quotes and newlines). Used by round-trip tests and importers. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        continue;
      }
      field += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && field.length === 0) {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
    i += 1;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
