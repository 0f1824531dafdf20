// Identity checks: a pid reused by another process between decision and action gets nothing.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStat } from '../../../src-main/platform/identity.linux';
import { removeAllotCgroups } from './helpers';

afterAll(() => removeAllotCgroups());

describe('identity', () => {
  it('parses /proc/PID/stat with spaces and parentheses in the name', () => {
    const line = '42 (a) b (c)) S 1 42 42 0 -1 4194560 1 0 0 0 3 4 0 0 20 5 1 0 12345 100 50 1 1 1 1 1 1 0 0 0 0 0 0 0 17 1 7 2 0 0 0';
    const stat = parseStat(line)!;
    expect(stat).toMatchObject({ pid: 42, comm: 'a) b (c)', state: 'S', ppid: 1, nice: 5, startTime: 12345, rtPriority: 7, policy: 2 });
  });

  it('never acts on a new process that took the pid of the target (pid namespace + ns_last_pid)', () => {
    const out = execFileSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', 'test/main/platform/fixtures/pid-reuse.ts'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const report = JSON.parse(out.trim().split('\n').pop()!);
    expect(report.reusedPid).toBe(true);
    expect(report.startB).not.toBe(report.startA);
    for (const reason of Object.values(report.results)) expect(reason).toBe('gone');
    expect(report.b.nice).toBe(0);
    expect(report.b.state).not.toBe('T');
    expect(report.b.cgroup).not.toMatch(/allot-/);
    expect(report.b.affinity).not.toBe('0');
  });

  it('a pid reused INSIDE the window after the check (fault injection): the newcomer gets its own value back, the result is gone (issue 11 §3)', () => {
    const out = execFileSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', 'test/main/platform/fixtures/pid-reuse-window.ts'], {
      encoding: 'utf8',
      timeout: 90_000,
    });
    const report = JSON.parse(out.trim().split('\n').pop()!);
    for (const op of ['priority', 'affinity', 'ioPriority', 'cpuWeight']) {
      const entry = report[op];
      expect(entry.error, op).toBeUndefined();
      expect(entry.startB).not.toBe(entry.startA);
      expect(entry.result, op).toMatchObject({ kind: 'refused', reason: 'gone', message: expect.stringMatching(/new process took pid \d+ while Allot acted .* put back to what it inherited/) });
      // Everything Allot's call gave the newcomer is gone again: B has what it inherited.
      expect(entry.b, op).toEqual(entry.inherited);
      expect(entry.b.cgroup).not.toMatch(/allot-/);
    }
  }, 100_000);
});
