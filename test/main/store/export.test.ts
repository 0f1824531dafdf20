import { afterEach, describe, expect, it } from 'vitest';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { COLUMNS, csvField, exportRows, parseCsv, writeExport, type ColumnDoc, type ExportOptions } from '../../../src-main/store/export';
import { createHistory, type History } from '../../../src-main/store/history';
import { makeProcess, makeSample } from './fixtures/samples';

const T0 = Date.UTC(2024, 0, 1);
const NASTY_CMDLINE = 'sh -c "echo a,b" \'x\'\nsecond line, "quoted"\r\nthird';
const dbs: Db[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function filledHistory(): { db: Db; history: History } {
  const db = openDb({ path: ':memory:' });
  dbs.push(db);
  const history = createHistory({ db, intervalMs: 1000, processRows: 'all', flushEveryMs: Infinity, maintenanceEveryMs: Infinity });
  for (let t = T0; t < T0 + 3 * 60_000; t += 1000) {
    const k = (t - T0) / 1000;
    history.append(
      makeSample(
        t,
        [
          makeProcess({ pid: 10, name: 'sh, the "shell"', programId: 'prog,"1"', cmdline: NASTY_CMDLINE, cpuPercent: (k % 7) / 3, rssBytes: 1e6 + k, readBytesPerSec: k * 1.1 }),
          makeProcess({ pid: 11, name: 'plain', programId: 'plain', cpuPercent: 0.1, rssBytes: 5e5, exe: '/usr/bin/plain' }),
        ],
        { cpuPercent: (k % 13) / 7, psi: { cpu: { someAvg10: 0.5, someAvg60: 0, someAvg300: 0, someTotalUs: 1 } }, loadAvg: [1, 2, 3] },
      ),
    );
  }
  expect(history.close().ok).toBe(true);
  return { db, history };
}

function collect(db: Db, options: ExportOptions): string {
  const result = exportRows(db, options);
  if (!result.ok) throw new Error(result.error);
  return [...result.lines].join('');
}

/** CSV text back to typed values using the column types. */
function typed(columns: readonly ColumnDoc[], row: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    const text = row[i] as string;
    if (text === '') out[c.name] = null;
    else if (c.type === 'string') out[c.name] = text;
    else if (c.type === 'json') out[c.name] = JSON.parse(text);
    else out[c.name] = Number(text);
  });
  return out;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** A query row (camelCase) in export column names. */
function asExported(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[snake(key)] = value;
  out.bucket_start_ms = row.bucketMs;
  delete out.bucket_ms;
  if ('coresCpuPercentMean' in row) out.cores_cpu_percent_mean = row.coresCpuPercentMean;
  return out;
}

describe('export', () => {
  it('documents every column with a unit and a description', () => {
    for (const level of ['system', 'program', 'process'] as const) {
      const names = COLUMNS[level].map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const c of COLUMNS[level]) {
        expect(c.name).toMatch(/^[a-z0-9_]+$/);
        expect(c.description.length).toBeGreaterThan(3);
      }
    }
    expect(COLUMNS.program.map((c) => c.name)).toEqual(expect.arrayContaining(['program_id', 'cpu_percent_mean', 'rss_bytes_max', 'read_bytes_per_sec_mean', 'ctx_switches_per_sec_mean', 'syscalls_per_sec_mean', 'process_count_mean', 'run_queue_wait_ms_per_sec_mean']));
  });

  it('escapes CSV fields', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(null)).toBe('');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField([1, 2.5])).toBe('"[1,2.5]"');
    expect(parseCsv(`${csvField(NASTY_CMDLINE)},x\r\n`)).toEqual([[NASTY_CMDLINE, 'x']]);
  });

  it('round-trips program rows through CSV and JSONL', () => {
    const { db, history } = filledHistory();
    const expected = ['plain', 'prog,"1"']
      .flatMap((id) => history.queryProgram(id, T0, T0 + 3 * 60_000, 10_000).rows)
      .sort((a, b) => a.bucketMs - b.bucketMs || a.programId.localeCompare(b.programId))
      .map((r) => asExported(r as unknown as Record<string, unknown>));
    expect(expected).toHaveLength(2 * 18);

    const csv = parseCsv(collect(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'csv', level: 'program' }));
    expect(csv[0]).toEqual(COLUMNS.program.map((c) => c.name));
    const fromCsv = csv.slice(1).map((row) => typed(COLUMNS.program, row));
    expect(fromCsv).toEqual(expected.map((e) => Object.fromEntries(COLUMNS.program.map((c) => [c.name, e[c.name]]))));

    const jsonl = collect(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'jsonl', level: 'program' }).trimEnd().split('\n');
    expect(jsonl.map((line) => JSON.parse(line))).toEqual(fromCsv);
  });

  it('round-trips process rows, with commas, quotes and newlines in the command line', () => {
    const { db, history } = filledHistory();
    const expected = history.queryProcesses(T0, T0 + 3 * 60_000).map((r) => asExported(r as unknown as Record<string, unknown>));
    expect(expected.length).toBe(2 * 18);
    const text = collect(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'csv', level: 'process' });
    const rows = parseCsv(text);
    expect(rows).toHaveLength(1 + expected.length);
    const back = rows.slice(1).map((row) => typed(COLUMNS.process, row));
    expect(back).toEqual(expected.map((e) => Object.fromEntries(COLUMNS.process.map((c) => [c.name, e[c.name]]))));
    expect(back.find((r) => r.pid === 10)).toMatchObject({ cmdline: NASTY_CMDLINE, name: 'sh, the "shell"', program_id: 'prog,"1"', exe: null });
    expect(back.find((r) => r.pid === 11)).toMatchObject({ exe: '/usr/bin/plain' });

    const filtered = parseCsv(collect(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'csv', level: 'process', programId: 'plain' }));
    expect(filtered.slice(1).every((r) => r[4] === 'plain')).toBe(true);
    expect(filtered).toHaveLength(1 + 18);
  });

  it('round-trips system rows, including per-core arrays, at a coarser tier', () => {
    const { db, history } = filledHistory();
    const expected = history.querySystem(T0, T0 + 3 * 60_000, 60_000).rows.map((r) => asExported(r as unknown as Record<string, unknown>));
    expect(expected.length).toBe(2); // two closed minutes rolled up; the third is still open
    const jsonl = collect(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'jsonl', level: 'system', tierMs: 60_000 });
    const back = jsonl.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(back).toEqual(expected.map((e) => Object.fromEntries(COLUMNS.system.map((c) => [c.name, e[c.name]]))));
    expect(back[0]!.cores_cpu_percent_mean).toEqual([10, 10]);
    expect(back[0]!.psi_cpu_some_avg10_mean).toBe(0.5);
    const csv = parseCsv(collect(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'csv', level: 'system', tierMs: 60_000 }));
    expect(csv.slice(1).map((row) => typed(COLUMNS.system, row))).toEqual(back);
  });

  it('only exports buckets overlapping the range', () => {
    const { db } = filledHistory();
    const rows = parseCsv(collect(db, { fromMs: T0 + 15_000, toMs: T0 + 30_000, format: 'csv', level: 'system' }));
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual([T0 + 10_000, T0 + 20_000]);
  });

  it('refuses bad options without reading anything', () => {
    const { db } = filledHistory();
    expect(exportRows(db, { fromMs: 10, toMs: 5, format: 'csv', level: 'program' })).toEqual({ ok: false, error: expect.stringMatching(/before/) });
    expect(exportRows(db, { fromMs: 0, toMs: 5, format: 'xml' as 'csv', level: 'program' })).toEqual({ ok: false, error: expect.stringMatching(/format/) });
    expect(exportRows(db, { fromMs: 0, toMs: 5, format: 'csv', level: 'tenant' as 'program' })).toEqual({ ok: false, error: expect.stringMatching(/level/) });
    expect(exportRows(db, { fromMs: 0, toMs: 5, format: 'csv', level: 'process', tierMs: 60_000 })).toEqual({ ok: false, error: expect.stringMatching(/finest/) });
    expect(exportRows(db, { fromMs: Number.NaN, toMs: 5, format: 'csv', level: 'system' }).ok).toBe(false);
  });

  it('streams to a file', async () => {
    const { db } = filledHistory();
    const dir = mkdtempSync(join(tmpdir(), 'allot-export-'));
    dirs.push(dir);
    const path = join(dir, 'out.csv');
    const out = createWriteStream(path);
    const result = await writeExport(db, { fromMs: T0, toMs: T0 + 3 * 60_000, format: 'csv', level: 'process' }, out);
    await new Promise<void>((r) => out.end(r));
    expect(result).toEqual({ ok: true, rows: 36 });
    expect(parseCsv(readFileSync(path, 'utf8'))).toHaveLength(37);
  });
});
