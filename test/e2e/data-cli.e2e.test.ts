// `allot record`, `allot export` and `allot backtest` as a user runs them: real processes, real
// history written by a real `allot serve`, output parsed back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startServe } from '../helpers/serve';
import { loadTrace } from '../../src-main/store/trace';
import { parseCsv } from '../../src-main/store/export';

const allot = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const result = spawnSync(process.execPath, [`${REPO_ROOT}/bin/allot.mjs`, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
};

describe('data commands', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'allot-data-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records a trace of the live system that reads back valid', async () => {
    const out = join(dir, 'trace.jsonl');
    const result = allot(['record', '--seconds', '2', '--interval-ms', '500', '--out', out]);
    expect(result.code, result.err).toBe(0);
    const trace = await loadTrace(out);
    expect(trace.ok).toBe(true);
    if (trace.ok) {
      expect(trace.samples.length).toBeGreaterThanOrEqual(3);
      expect(trace.header.intervalMs).toBe(500);
      expect(trace.samples[0]!.processes.length).toBeGreaterThan(3);
    }
  });

  it('simulates a scenario and the recorded trace through the default policy', () => {
    const scenario = allot(['simulate', 'scenario:editor-hogs', '--seconds', '20', '--json']);
    expect(scenario.code, scenario.err).toBe(0);
    const report = JSON.parse(scenario.out) as Record<string, unknown>;
    expect(JSON.stringify(report)).toMatch(/interactive|p99/i);
    const replay = allot(['simulate', join(dir, 'trace.jsonl'), '--mode', 'auto']);
    expect(replay.code, replay.err).toBe(0);
    expect(replay.out).toMatch(/engine off/);
    const bad = allot(['simulate', 'scenario:nope']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown scenario/);
  });

  it('exports history written by a running instance as CSV and JSONL', async () => {
    const dataDir = join(dir, 'data');
    const served = await startServe(['--data-dir', dataDir, '--interval-ms', '250']);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await served.stop(); // closes history: the open bucket is written
    const csv = allot(['export', '--data-dir', dataDir, '--from', '1h', '--programs']);
    expect(csv.code, csv.err).toBe(0);
    const rows = parseCsv(csv.out);
    expect(rows[0]).toContain('program_id');
    expect(rows.length).toBeGreaterThan(2);
    const jsonl = allot(['export', '--data-dir', dataDir, '--from', '1h', '--system', '--format', 'jsonl']);
    expect(jsonl.code, jsonl.err).toBe(0);
    const first = JSON.parse(jsonl.out.split('\n')[0]!) as Record<string, unknown>;
    expect(typeof first['cpu_percent_mean']).toBe('number');
    const bad = allot(['export', '--data-dir', dataDir, '--from', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cannot read/);
  });

  it('backtests every forecaster on a CSV and refuses a broken one with the line', () => {
    const file = join(dir, 'series.csv');
    const lines = ['timestamp,value'];
    for (let i = 0; i < 400; i++) lines.push(`${1_700_000_000_000 + i * 1000},${50 + 20 * Math.sin(i / 10) + (i % 7)}`);
    writeFileSync(file, lines.join('\n'));
    const result = allot(['backtest', file, '--horizon', '5']);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/naive/);
    expect(result.out).toMatch(/MASE|mase/);
    writeFileSync(file, 'timestamp,value\n1,2\n2,abc\n');
    const broken = allot(['backtest', file]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/line 3/);
    expect(readFileSync(file, 'utf8')).toContain('abc');
  });
});
