import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraceWriter, loadTrace, readTrace, writeTrace, type TraceEvent } from '../../../src-main/store/trace';
import type { SystemInfo } from '../../../src-shared/domain';
import { deterministicSample } from './fixtures/samples';

const T0 = Date.UTC(2024, 0, 1);
const INFO: SystemInfo = { platform: 'linux', hostname: 'box', osRelease: '6.1', cpuModel: 'Test CPU', logicalCores: 2, totalMemoryBytes: 8e9 };
const HEADER = { systemInfo: INFO, intervalMs: 1000, recordedAtMs: T0 };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tmpFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'allot-trace-'));
  dirs.push(dir);
  return join(dir, name);
}
async function events(path: string, options?: { stopOnError?: boolean }): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of readTrace(path, options)) out.push(e);
  return out;
}

describe('trace files', () => {
  it('writes a header line and one sample per line, and reads them back equal', async () => {
    const path = tmpFile('t.jsonl');
    const samples = Array.from({ length: 50 }, (_, i) => deterministicSample(T0 + i * 1000));
    expect(await writeTrace(path, HEADER, samples)).toEqual({ samplesWritten: 50 });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(51);
    expect(JSON.parse(lines[0]!)).toEqual({ kind: 'allot-trace', version: 1, ...HEADER });
    const loaded = await loadTrace(path);
    expect(loaded).toEqual({ ok: true, header: { kind: 'allot-trace', version: 1, ...HEADER }, samples });
  });

  it('streams from an async source through the writer', async () => {
    const path = tmpFile('async.jsonl');
    async function* live() {
      for (let i = 0; i < 5; i++) yield deterministicSample(T0 + i * 1000);
    }
    await writeTrace(path, HEADER, live());
    const writer = createTraceWriter(tmpFile('w.jsonl'), HEADER);
    await writer.write(deterministicSample(T0));
    await writer.close();
    expect(writer.samplesWritten).toBe(1);
    const loaded = await loadTrace(path);
    expect(loaded.ok && loaded.samples.map((s) => s.at)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
  });

  it('names the line of a corrupted sample and goes on reading the rest', async () => {
    const path = tmpFile('bad.jsonl');
    await writeTrace(path, HEADER, [0, 1, 2, 3].map((i) => deterministicSample(T0 + i * 1000)));
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 40); // truncated JSON on line 3
    const bad = JSON.parse(lines[4]!) as { processes: Array<{ cpuPercent: number }> };
    bad.processes[0]!.cpuPercent = -5; // valid JSON, invalid sample on line 5
    lines[4] = JSON.stringify(bad);
    writeFileSync(path, lines.join('\n'));

    const all = await events(path);
    expect(all.map((e) => [e.kind, e.lineNumber])).toEqual([
      ['header', 1],
      ['sample', 2],
      ['error', 3],
      ['sample', 4],
      ['error', 5],
    ]);
    const errors = all.filter((e): e is Extract<TraceEvent, { kind: 'error' }> => e.kind === 'error');
    expect(errors[0]!.message).toMatch(/invalid JSON/);
    expect(errors[1]!.message).toMatch(/processes\.0\.cpuPercent/);

    expect(await loadTrace(path)).toEqual({ ok: false, error: { lineNumber: 3, message: expect.stringMatching(/invalid JSON/) } });
    expect((await events(path, { stopOnError: true })).map((e) => e.kind)).toEqual(['header', 'sample', 'error']);
  });

  it('refuses a file that is not a trace, or is missing', async () => {
    const path = tmpFile('other.jsonl');
    writeFileSync(path, JSON.stringify({ kind: 'something-else' }) + '\n' + JSON.stringify(deterministicSample(T0)) + '\n');
    expect(await events(path)).toEqual([{ kind: 'error', lineNumber: 1, message: expect.stringMatching(/not an allot trace header/) }]);
    const empty = tmpFile('empty.jsonl');
    writeFileSync(empty, '');
    expect(await loadTrace(empty)).toEqual({ ok: false, error: { lineNumber: 0, message: 'empty file' } });
    expect(await loadTrace(join(tmpdir(), 'no-such-dir-allot', 'x.jsonl'))).toEqual({ ok: false, error: { lineNumber: 0, message: expect.stringMatching(/cannot read/) } });
  });

  it('reads a big trace without holding it in memory at once', async () => {
    const path = tmpFile('big.jsonl');
    const writer = createTraceWriter(path, HEADER);
    for (let i = 0; i < 3000; i++) await writer.write(deterministicSample(T0 + i * 1000));
    await writer.close();
    let count = 0;
    let last = 0;
    for await (const e of readTrace(path)) {
      if (e.kind === 'error') throw new Error(e.message);
      if (e.kind === 'sample') {
        count += 1;
        last = e.lineNumber;
      }
    }
    expect(count).toBe(3000);
    expect(last).toBe(3001);
  });
});
