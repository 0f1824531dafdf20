// Trace files (`allot record --seconds N --out file`): JSON Lines. Line 1 is a header
// { kind: 'allot-trace', version: 1, systemInfo, intervalMs, recordedAtMs }, then one Sample per line.
// `allot backtest` and `allot simulate` read them back. Reading streams line by line (node:readline
// over a file stream), validates every line with the domain schemas and names the line on error.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { SampleSchema, SystemInfoSchema, type Sample } from '../../src-shared/domain';
import { errorMessage } from '../../src-shared/errors';

export const TRACE_KIND = 'allot-trace';
export const TRACE_VERSION = 1;

export const TraceHeaderSchema = z.strictObject({
  kind: z.literal(TRACE_KIND),
  version: z.literal(TRACE_VERSION),
  systemInfo: SystemInfoSchema,
  intervalMs: z.number().finite().positive(),
  recordedAtMs: z.number().finite().nonnegative(),
});
export type TraceHeader = z.infer<typeof TraceHeaderSchema>;

/** Longest line accepted (a sample with 100,000 processes is far below this). */
export const MAX_TRACE_LINE_CHARS = 256 * 1024 * 1024;

export type TraceEvent =
  | { kind: 'header'; lineNumber: 1; header: TraceHeader }
  | { kind: 'sample'; lineNumber: number; sample: Sample }
  | { kind: 'error'; lineNumber: number; message: string };

export interface TraceWriter {
  write(sample: Sample): Promise<void>;
  /** Flush and close; resolves when the file is complete on disk. */
  close(): Promise<void>;
  readonly samplesWritten: number;
}

/** Open a trace for writing; writes the header line at once. Samples are written as given. */
export function createTraceWriter(path: string, header: Omit<TraceHeader, 'kind' | 'version'>): TraceWriter {
  const full: TraceHeader = TraceHeaderSchema.parse({ kind: TRACE_KIND, version: TRACE_VERSION, ...header });
  const out: WriteStream = createWriteStream(path, { encoding: 'utf8' });
  let failure: Error | undefined;
  out.on('error', (e) => (failure = e));
  let samplesWritten = 0;
  const put = async (line: string) => {
    if (failure) throw failure;
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
  };
  const headerWritten = put(JSON.stringify(full) + '\n');
  return {
    async write(sample) {
      await headerWritten;
      await put(JSON.stringify(sample) + '\n');
      samplesWritten += 1;
    },
    async close() {
      await headerWritten;
      if (failure) throw failure;
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
    },
    get samplesWritten() {
      return samplesWritten;
    },
  };
}

/** Write a whole trace. */
export async function writeTrace(
  path: string,
  header: Omit<TraceHeader, 'kind' | 'version'>,
  samples: Iterable<Sample> | AsyncIterable<Sample>,
): Promise<{ samplesWritten: number }> {
  const writer = createTraceWriter(path, header);
  try {
    for await (const sample of samples) await writer.write(sample);
  } finally {
    await writer.close();
  }
  return { samplesWritten: writer.samplesWritten };
}

/**
 * Stream a trace: the header, then each sample, validated. A bad line yields an `error` event with
 * its line number; reading goes on unless `stopOnError`. A file that cannot be opened, or whose
 * first line is not a valid header, yields one error and ends. Never throws.
 */
export async function* readTrace(path: string, options: { stopOnError?: boolean } = {}): AsyncGenerator<TraceEvent> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = await new Promise<Error | undefined>((resolve) => {
    stream.once('open', () => resolve(undefined));
    stream.once('error', (e) => resolve(e));
  });
  if (opened) {
    yield { kind: 'error', lineNumber: 0, message: `cannot read ${path}: ${opened.message}` };
    return;
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (lineNumber === 1) {
        const header = parseLine(line, TraceHeaderSchema);
        if (!header.ok) {
          yield { kind: 'error', lineNumber, message: `not an allot trace header: ${header.message}` };
          return;
        }
        yield { kind: 'header', lineNumber: 1, header: header.value };
        continue;
      }
      if (line.trim() === '') continue; // a trailing newline, or a blank line
      const sample = parseLine(line, SampleSchema);
      if (sample.ok) {
        yield { kind: 'sample', lineNumber, sample: sample.value };
      } else {
        yield { kind: 'error', lineNumber, message: sample.message };
        if (options.stopOnError) return;
      }
    }
    if (lineNumber === 0) yield { kind: 'error', lineNumber: 0, message: 'empty file' };
  } catch (e) {
    yield { kind: 'error', lineNumber: lineNumber + 1, message: errorMessage(e) };
  } finally {
    lines.close();
    stream.destroy();
  }
}

export type LoadTraceResult =
  | { ok: true; header: TraceHeader; samples: Sample[] }
  | { ok: false; error: { lineNumber: number; message: string } };

/** Read a whole (small) trace into memory; the first bad line fails it. */
export async function loadTrace(path: string): Promise<LoadTraceResult> {
  let header: TraceHeader | undefined;
  const samples: Sample[] = [];
  for await (const event of readTrace(path, { stopOnError: true })) {
    if (event.kind === 'error') return { ok: false, error: { lineNumber: event.lineNumber, message: event.message } };
    if (event.kind === 'header') header = event.header;
    else samples.push(event.sample);
  }
  if (!header) return { ok: false, error: { lineNumber: 1, message: 'missing header' } };
  return { ok: true, header, samples };
}

function parseLine<T>(line: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; message: string } {
  if (line.length > MAX_TRACE_LINE_CHARS) return { ok: false, message: `line longer than ${MAX_TRACE_LINE_CHARS} characters` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { ok: false, message: `invalid JSON: ${errorMessage(e)}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return { ok: false, message: first.join('; ') };
}
