// Issue 18: never make a change Allot cannot undo. The real engine path (engine, pipeline,
// actuator, guarded Linux adapter, journal) against three CPU hogs of the same user: Auto, then Off,
// then stop; every thread's nice and CPU set, the autogroup, the cgroups and the I/O priority are read
// back from /proc and must be exactly as found. As root, and as an ordinary user (RLIMIT_NICE 0, no
// delegated cgroup: the engine can only advise and must leave everything untouched).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lowestNiceAllowed, niceRlimit, priorityIrreversible } from '../../../src-main/platform/reversible.linux';
import { removeAllotCgroups } from './helpers';

type Thread = [number, number | null, string | null];
interface Snap {
  threads: Thread[];
  autogroup: string | null;
  cgroup: string | null;
  io: unknown;
}
interface Report {
  uid: number;
  decided: number;
  changes: { pid: number; op: string; kind: string; reason?: string; message?: string }[];
  before: Snap[];
  during: Snap[];
  after: Snap[];
  inForce: number;
  irreversibleAudited: number;
  engineScope: string;
  priority: { reversibility?: string; reversibilityDetail?: string; withService?: string };
}

function ensureUser(): void {
  try {
    execFileSync('id', ['allottest'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', 'allottest']);
  }
}

function roundtrip(user?: string): Report {
  const command = [process.execPath, '--import', 'tsx', 'test/main/platform/fixtures/engine-roundtrip.ts'];
  const out = user
    ? execFileSync('runuser', ['-u', user, '--', ...command], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, HOME: '/tmp' } })
    : execFileSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 90_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as Report;
}

/** Every thread that existed before has its values back; threads started since have the process's. */
function expectAsFound(before: Snap[], after: Snap[]): void {
  expect(after).toHaveLength(before.length);
  before.forEach((b, i) => {
    const a = after[i]!;
    expect({ autogroup: a.autogroup, cgroup: a.cgroup, io: a.io }).toEqual({ autogroup: b.autogroup, cgroup: b.cgroup, io: b.io });
    const was = new Map(b.threads.map(([tid, nice, cpus]) => [tid, [nice, cpus]]));
    const main = b.threads[0]!;
    for (const [tid, nice, cpus] of a.threads) expect([tid, nice, cpus]).toEqual([tid, ...(was.get(tid) ?? [main[1], main[2]])]);
  });
}

describe('the engine never makes a change it cannot undo (issue 18)', () => {
  it('as root: Auto restrains the hogs, Off and stop put every value back exactly', () => {
    const report = roundtrip();
    expect(report.uid).toBe(0);
    expect(report.decided).toBe(3);
    const priority = report.changes.filter((c) => c.op === 'priority');
    expect(priority.length).toBeGreaterThan(0);
    expect(priority.every((c) => c.kind === 'applied')).toBe(true);
    expect(report.during.some((s, i) => s.threads[0]![1] !== report.before[i]!.threads[0]![1])).toBe(true);
    expectAsFound(report.before, report.after);
    expect(report.inForce).toBe(0);
    expect(report.priority.reversibility).toBe('reversible');
    removeAllotCgroups();
  }, 100_000);

  it('as an ordinary user (RLIMIT_NICE 0, no delegated cgroup): the engine only advises, reports irreversible with the reason, and every value stays as found', () => {
    ensureUser();
    const report = roundtrip('allottest');
    expect(report.uid).not.toBe(0);
    expect(report.decided).toBe(3);
    const priority = report.changes.filter((c) => c.op === 'priority');
    expect(priority.length).toBeGreaterThan(0);
    for (const c of priority) expect(c).toMatchObject({ kind: 'refused', reason: 'irreversible', message: expect.stringMatching(/cannot raise it back without administrator rights/) });
    expect(report.changes.filter((c) => c.kind === 'applied')).toEqual([]);
    expect(report.irreversibleAudited).toBeGreaterThan(0);
    expectAsFound(report.before, report.during);
    expectAsFound(report.before, report.after);
    expect(report.inForce).toBe(0);
    expect(report.priority).toMatchObject({ reversibility: 'needs-helper', withService: expect.stringMatching(/system service/) });
    expect(report.engineScope).toMatch(/only advises|Not priority/);
  }, 100_000);
});

describe('reversibility rules', () => {
  const rights = { root: false, capSysNice: false, capSysAdmin: false };
  it('lowering priority needs the target’s RLIMIT_NICE (or CAP_SYS_NICE) to reach the original again', () => {
    const pid = process.pid;
    const lowest = lowestNiceAllowed(pid, rights);
    expect(lowest).toBe(20 - niceRlimit(pid));
    const same = () => 10;
    // RLIMIT_NICE here is 0: nice 0 -> 10 could not be undone.
    if (lowest > 0) expect(priorityIrreversible(pid, { nice: 0 }, { nice: 10 }, same, [pid], rights)).toMatch(/cannot raise it back/);
    // Going up (or staying) never needs anything to undo, nor does an original the limit allows.
    expect(priorityIrreversible(pid, { nice: 10 }, { nice: 5 }, () => 5, [pid], rights)).toBeNull();
    expect(priorityIrreversible(pid, { nice: 19 }, { nice: 19 }, () => 19, [pid], rights)).toBeNull();
    expect(priorityIrreversible(pid, { nice: 0 }, { nice: 10 }, same, [pid], { ...rights, capSysNice: true })).toBeNull();
    // A thread of its own at nice -5 moved to 5 could not go back either.
    expect(priorityIrreversible(pid, { nice: 19, threadNice: [[pid + 1, -5]] }, { nice: 19 }, (tid) => (tid === pid ? 19 : 5), [pid, pid + 1], rights)).toMatch(/nice -5/);
  });
});
