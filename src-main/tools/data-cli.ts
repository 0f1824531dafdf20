// `allot export`, `allot record` and `allot backtest`: history out for model training, a live
// trace for replay, and every forecaster on any time series.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { openDb } from '../store/db';
import { writeExport, type ExportFormat, type ExportLevel } from '../store/export';
import { createTraceWriter } from '../store/trace';
import { createSampler } from '../monitor';
import { createSampleLoop } from '../core/sample-source';
import { defaultDataDir } from '../core/paths';
import { backtest, formatBacktestTable, parseSeriesCsv } from '../engine/backtest';
import { UsageError, type Output } from './admin-cli';

export const DATA_USAGE = `  export [--from TIME] [--to TIME] [--format csv|jsonl] [--programs | --system] [--program ID] [--out FILE] [--data-dir DIR]
        history rows for model training (default: per process, last 24 h, CSV to stdout);
        TIME is ISO-8601, epoch ms, "now", or a span back from now: 2h, 30m, 7d
  record --seconds N --out FILE [--interval-ms 1000]   record a trace of the live system (JSON Lines)
  backtest FILE.csv [--column NAME|N] [--horizon STEPS] [--season STEPS]
        run every forecaster on a (timestamp,value) CSV: MAE, MASE vs naive, p90 coverage`;

const stdio: Output = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** "now", epoch ms, ISO-8601, or a span back from `nowMs`: "2h", "30m", "7d", "45s" (or "--from=-2h"). */
export function parseTime(text: string, nowMs: number): number {
  const value = text.trim();
  if (value === 'now') return nowMs;
  const relative = /^-?(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(value);
  if (relative) {
    const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[relative[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return nowMs - Number(relative[1]) * unitMs;
  }
  if (/^\d{10,}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`cannot read ${JSON.stringify(text)} as a time (ISO-8601, epoch ms, now, or -2h)`);
  return parsed;
}

function positiveInt(text: string | undefined, what: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

async function exportCommand(argv: string[], io: Output): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      programs: { type: 'boolean' },
      system: { type: 'boolean' },
      program: { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const nowMs = Date.now();
  const fromMs = parseTime(values.from ?? '24h', nowMs);
  const toMs = parseTime(values.to ?? 'now', nowMs);
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl`);
  if (values.programs && values.system) throw new UsageError('give at most one of --programs and --system');
  const level: ExportLevel = values.programs ? 'program' : values.system ? 'system' : 'process';
  const dbPath = join(values['data-dir'] ?? defaultDataDir(), 'allot.db');
  if (!existsSync(dbPath)) {
    io.err(`allot export: no history at ${dbPath} (run Allot first, or pass --data-dir)\n`);
    return 1;
  }
  // Read-only: safe beside a running instance (WAL readers never block the writer).
  const db = openDb({ path: dbPath, readonly: true });
  try {
    const out = values.out ? createWriteStream(values.out) : process.stdout;
    const result = await writeExport(
      db,
      { fromMs, toMs, format: values.format as ExportFormat, level, ...(values.program ? { programId: values.program } : {}) },
      out,
    );
    if (values.out) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, 'close');
    }
    if (!result.ok) {
      io.err(`allot export: ${result.error}\n`);
      return 1;
    }
    io.err(`exported ${result.rows} ${level} row(s)${values.out ? ` to ${values.out}` : ''}\n`);
    return 0;
  } finally {
    db.close();
  }
}

async function recordCommand(argv: string[], io: Output): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { seconds: { type: 'string' }, out: { type: 'string' }, 'interval-ms': { type: 'string' } },
  });
  const seconds = positiveInt(values.seconds, '--seconds', 1, 7 * 86_400);
  if (seconds === undefined || !values.out) throw new UsageError('record needs --seconds N and --out FILE');
  const intervalMs = positiveInt(values['interval-ms'], '--interval-ms', 250, 10_000) ?? 1000;
  const sampler = await createSampler();
  const systemInfo = await sampler.info();
  const writer = createTraceWriter(values.out, { systemInfo, intervalMs, recordedAtMs: Date.now() });
  const wanted = Math.max(1, Math.round((seconds * 1000) / intervalMs)) + 1;
  let pending = Promise.resolve();
  let failure: Error | undefined;
  await new Promise<void>((resolve) => {
    let taken = 0;
    const loop = createSampleLoop(
      sampler,
      (sample) => {
        taken++;
        // The first sample only primes the counters (its rates are zero): not part of the trace.
        if (taken > 1) pending = pending.then(() => writer.write(sample)).catch((error: Error) => void (failure = error));
        if (taken >= wanted) {
          loop.stop();
          resolve();
        }
      },
      (error) => io.err(`allot record: sample failed: ${error.message}\n`),
    );
    const stop = (): void => {
      loop.stop();
      resolve();
    };
    process.once('SIGINT', stop);
    loop.start(intervalMs);
  });
  await pending;
  await writer.close();
  sampler.close();
  if (failure) {
    io.err(`allot record: ${failure.message}\n`);
    return 1;
  }
  io.err(`recorded ${writer.samplesWritten} sample(s) to ${values.out}\n`);
  return 0;
}

function backtestCommand(argv: string[], io: Output): number {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { column: { type: 'string' }, horizon: { type: 'string' }, season: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('backtest needs exactly one CSV file');
  const horizonSteps = positiveInt(values.horizon, '--horizon', 1, 100_000) ?? 5;
  const seasonSteps = positiveInt(values.season, '--season', 2, 1_000_000);
  const column = values.column === undefined ? undefined : /^\d+$/.test(values.column) ? Number(values.column) : values.column;
  let text: string;
  try {
    text = readFileSync(positionals[0]!, 'utf8');
  } catch (error) {
    io.err(`allot backtest: cannot read ${positionals[0]}: ${(error as Error).message}\n`);
    return 1;
  }
  let series;
  try {
    series = parseSeriesCsv(text, column);
  } catch (error) {
    io.err(`allot backtest: ${(error as Error).message}\n`);
    return 1;
  }
  if (series.values.length < horizonSteps + 10) {
    io.err(`allot backtest: ${series.values.length} values are too few for horizon ${horizonSteps}\n`);
    return 1;
  }
  const rows = backtest(series.values, { horizonSteps, ...(seasonSteps !== undefined ? { seasonSteps } : {}) });
  io.out(`${series.values.length} values of "${series.column}", horizon ${horizonSteps} step(s)\n${formatBacktestTable(rows)}\n`);
  return 0;
}

export async function dataCommand(command: string, argv: string[], io: Output = stdio): Promise<number> {
  try {
    switch (command) {
      case 'export':
        return await exportCommand(argv, io);
      case 'record':
        return await recordCommand(argv, io);
      case 'backtest':
        return backtestCommand(argv, io);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    const usage = error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`allot ${command}: ${(error as Error).message}\n`);
    return usage ? 2 : 1;
  }
}
