// The Actuator against real processes with a real journal file and audit log: apply, undo, list,
// supersede, external-change detection, restoreAll, and restore after a kill -9 of the process
// that made the change.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setPriority as osSetPriority } from 'node:os';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Actuator } from '../../../src-main/platform/actuator';
import { autogroupEnabled, createLinuxAdapter, readAutogroup, writeAutogroup } from '../../../src-main/platform/adapter.linux';
import { restorePlan } from '../../../src-shared/action-values';
import { readStat } from '../../../src-main/platform/identity.linux';
import { Journal } from '../../../src-main/store/journal';
import { AuditLog } from '../../../src-main/store/audit';
import { cgroupLine, killChildren, listAllotCgroups, removeAllotCgroups, spawnTarget } from './helpers';

let dir: string;
let journal: Journal;
let actuator: Actuator;
const adapter = createLinuxAdapter({ selfPids: [], exclusions: [] });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'allot-actuator-'));
  journal = Journal.open(join(dir, 'allot.db'));
  actuator = new Actuator({ adapter, journal, audit: new AuditLog(journal.db) });
});
afterEach(async () => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
  await killChildren();
  removeAllotCgroups();
});
afterAll(() => removeAllotCgroups());

describe('Actuator', () => {
  it('journals the original, applies, audits, and undo puts it back', async () => {
    const { identity } = await spawnTarget();
    const result = await actuator.apply({ target: identity, name: 'sleep', actor: 'user', why: 'test', change: { op: 'priority', value: { nice: 9 } } });
    expect(result.kind).toBe('applied');
    expect(readStat(identity.pid)?.nice).toBe(9);
    const [record] = actuator.listChanges();
    expect(record).toMatchObject({ id: result.changeId, status: 'applied', before: { op: 'priority', value: { nice: 0 } }, after: { op: 'priority', value: { nice: 9 } } });
    expect((await actuator.undo(result.changeId!, 'user')).kind).toBe('applied');
    expect(readStat(identity.pid)?.nice).toBe(0);
    expect(journal.get(result.changeId!)?.status).toBe('restored');
    const audit = actuator.audit.query({ pid: identity.pid });
    expect(audit.entries.map((e) => e.action)).toEqual(['undo', 'apply']);
    expect(await actuator.undo(result.changeId!, 'user')).toMatchObject({ kind: 'refused', reason: 'invalid' });
  });

  it('keeps a change whose restore was refused in force, and puts it back on the next try', async () => {
    let refuseNext = true;
    const flaky: typeof adapter = {
      ...adapter,
      restore: async (target, before) => {
        if (!refuseNext) return adapter.restore(target, before);
        refuseNext = false;
        return { kind: 'refused', reason: 'permission', message: 'helper not available' };
      },
    };
    const own = new Actuator({ adapter: flaky, journal, audit: actuator.audit });
    const { identity } = await spawnTarget();
    const applied = await own.apply({ target: identity, name: 'sleep', actor: 'user', why: 'test', change: { op: 'priority', value: { nice: 9 } } });
    expect(await own.undo(applied.changeId!, 'user')).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(readStat(identity.pid)?.nice).toBe(9);
    expect(journal.get(applied.changeId!)?.status).toBe('restore-failed');
    expect(journal.inForce().map((r) => r.id)).toEqual([applied.changeId]);
    // Undo again (or restore all on exit) tries again.
    expect((await own.undo(applied.changeId!, 'user')).kind).toBe('applied');
    expect(readStat(identity.pid)?.nice).toBe(0);
    expect(journal.get(applied.changeId!)?.status).toBe('restored');
  });

  it('does not take a partly done restore (the original is back, a thread refused) for an outside change', async () => {
    let partial = true;
    const flaky: typeof adapter = {
      ...adapter,
      restore: async (target, before) => {
        const result = await adapter.restore(target, before);
        if (!partial) return result;
        partial = false;
        return { kind: 'refused', reason: 'permission', message: 'one thread refused' };
      },
    };
    const own = new Actuator({ adapter: flaky, journal, audit: actuator.audit });
    const { identity } = await spawnTarget();
    const applied = await own.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'test', change: { op: 'priority', value: { nice: 9 } } });
    await own.undo(applied.changeId!, 'system');
    expect(readStat(identity.pid)?.nice).toBe(0);
    expect(journal.get(applied.changeId!)?.status).toBe('restore-failed');
    const report = await own.checkExternal();
    expect(report.external).toEqual([]);
    expect(journal.get(applied.changeId!)?.status).toBe('restore-failed');
    expect(journal.externalFor(identity)).toBeNull();
    expect((await own.undo(applied.changeId!, 'system')).kind).toBe('applied');
  });

  it('keeps the first original across later changes of the same operation', async () => {
    const { identity } = await spawnTarget();
    // The original carries the session's autogroup nice only where the kernel has autogroups on
    // (CI machines differ: some run with sched_autogroup_enabled=0).
    const group = autogroupEnabled() ? readAutogroup(identity.pid) : null;
    const original = group ? { nice: 0, autogroupNice: group.nice } : { nice: 0 };
    const first = await actuator.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'a', change: { op: 'priority', value: { nice: 5 } } });
    const second = await actuator.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'b', change: { op: 'priority', value: { nice: 10 } } });
    expect(journal.get(first.changeId!)?.status).toBe('superseded');
    expect(journal.get(second.changeId!)?.before).toEqual({ op: 'priority', value: original });
    const report = await actuator.restoreAll();
    expect(report.outcomes).toHaveLength(1);
    expect(readStat(identity.pid)?.nice).toBe(0);
  });

  it('refuses protected targets without journaling them', async () => {
    const guarded = createLinuxAdapter({ selfPids: [process.pid], exclusions: [] });
    const own = new Actuator({ adapter: guarded, journal, audit: actuator.audit });
    const { identity } = await spawnTarget();
    const result = await own.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'x', change: { op: 'priority', value: { nice: 5 } } });
    expect(result).toMatchObject({ kind: 'refused', reason: 'protected', changeId: null });
    expect(journal.list()).toEqual([]);
    expect(own.audit.query({ result: 'refused' }).entries).toHaveLength(1);
  });

  it('backs off when someone else changes a value it set, and refuses the engine afterwards', async () => {
    const { identity } = await spawnTarget();
    const result = await actuator.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'x', change: { op: 'priority', value: { nice: 5 } } });
    expect((await actuator.checkExternal([identity])).external).toEqual([]);
    osSetPriority(identity.pid, 3); // someone else (renice)
    const report = await actuator.checkExternal([identity]);
    expect(report.external).toHaveLength(1);
    expect(journal.get(result.changeId!)?.status).toBe('external');
    const again = await actuator.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'x', change: { op: 'priority', value: { nice: 7 } } });
    expect(again).toMatchObject({ kind: 'refused', reason: 'external' });
    expect(readStat(identity.pid)?.nice).toBe(3);
    await actuator.restoreAll();
    expect(readStat(identity.pid)?.nice).toBe(3); // its value wins; Allot does not restore over it
    const byUser = await actuator.apply({ target: identity, name: 'sleep', actor: 'user', why: 'x', change: { op: 'priority', value: { nice: 8 } } });
    expect(byUser.kind).toBe('applied');
  });

  it('marks changes of exited processes gone on restore and removes their cgroups', async () => {
    const { identity, child } = await spawnTarget();
    await actuator.apply({ target: identity, name: 'sleep', actor: 'user', why: 'x', change: { op: 'cpuCap', value: { percentOfOneCore: 50 } } });
    expect(listAllotCgroups()).toHaveLength(1);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const report = await actuator.restoreAll();
    expect(report.outcomes.map((o) => o.status)).toEqual(['gone']);
    expect(report.cleaned).toHaveLength(1);
    expect(listAllotCgroups()).toEqual([]);
  });

  it('restores after the process that made the change is killed with SIGKILL', async () => {
    const { identity } = await spawnTarget();
    const originalCgroup = cgroupLine(identity.pid, 'cpu');
    const path = join(dir, 'crash.db');
    const agent = spawn(process.execPath, ['--import', 'tsx', 'test/main/platform/fixtures/crash-child.ts', path, String(identity.pid), String(identity.startTime), '11'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) => agent.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    expect(JSON.parse(line)).toEqual({ result: 'applied', cap: 'applied' });
    expect(readStat(identity.pid)?.nice).toBe(11);
    expect(cgroupLine(identity.pid, 'cpu')).toMatch(/allot-/);
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));

    const fresh = Journal.open(path);
    try {
      expect(fresh.inForce()).toHaveLength(2);
      const report = await fresh.restoreAll(adapter);
      expect(report.outcomes.map((o) => o.status)).toEqual(['restored', 'restored']);
      expect(readStat(identity.pid)?.nice).toBe(0);
      expect(cgroupLine(identity.pid, 'cpu')).toBe(originalCgroup);
      expect(listAllotCgroups()).toEqual([]);
      expect(fresh.inForce()).toEqual([]);
    } finally {
      fresh.close();
    }
  });
});

// Issue 11 §1: a value someone else set wins, whoever made Allot's change, and a restore never writes
// over it, field by field (thread nice and the session's autogroup nice independently).
const person = (identity: { pid: number; startTime: number }, nice: number) =>
  actuator.apply({ target: identity, name: 'sleep', actor: 'cli', why: 'allot apply --priority', change: { op: 'priority', value: { nice } } });

describe('outside changes (issue 11 §1)', () => {
  it("a person's change renice'd by someone else is not overwritten on exit (restoreAll)", async () => {
    const { identity } = await spawnTarget();
    expect((await person(identity, 10)).kind).toBe('applied');
    osSetPriority(identity.pid, 5); // renice -n 5 -p P
    const report = await actuator.restoreAll('system', 'Allot is stopping');
    expect(readStat(identity.pid)?.nice).toBe(5);
    expect(report.outcomes[0]).toMatchObject({ status: 'external', result: { kind: 'refused', reason: 'external' } });
  });

  it("undo of a person's change leaves someone else's value, and still puts back Allot's", async () => {
    const { identity } = await spawnTarget();
    const mine = await person(identity, 10);
    osSetPriority(identity.pid, 4);
    expect(await actuator.undo(mine.changeId!, 'user')).toMatchObject({ kind: 'refused', reason: 'external' });
    expect(readStat(identity.pid)?.nice).toBe(4);
    // Still Allot's value: undo puts the original back.
    const again = await person(identity, 12);
    expect((await actuator.undo(again.changeId!, 'user')).kind).toBe('applied');
    expect(readStat(identity.pid)?.nice).toBe(4);
  });

  it('checks every change in force, not only the ones the engine made (checkExternal without a filter)', async () => {
    const { identity } = await spawnTarget();
    const mine = await person(identity, 10);
    osSetPriority(identity.pid, 5);
    const report = await actuator.checkExternal();
    expect(report.external.map((e) => e.changeId)).toEqual([mine.changeId]);
    expect(journal.get(mine.changeId!)?.status).toBe('external');
  });

  it.runIf(autogroupEnabled())('an outsider renicing the threads does not keep the session deprioritised: the autogroup nice Allot set goes back', async () => {
    const { identity } = await spawnTarget('setsid', ['sleep', '60'], 'sleep');
    if (readAutogroup(identity.pid) === null) return; // inside a CPU cgroup the kernel shows no autogroup
    const mine = await person(identity, 10);
    expect(readAutogroup(identity.pid)?.nice).toBe(10);
    osSetPriority(identity.pid, 5); // the outsider changes the thread nice only
    await actuator.checkExternal();
    expect(readStat(identity.pid)?.nice).toBe(5);
    expect(readAutogroup(identity.pid)?.nice).toBe(0);
    expect(journal.get(mine.changeId!)?.status).toBe('external');
  });

  it.runIf(autogroupEnabled())('restore is per field: an outsider who changed the autogroup keeps it, the thread nice goes back', async () => {
    const { identity } = await spawnTarget('setsid', ['sleep', '60'], 'sleep');
    if (readAutogroup(identity.pid) === null) return;
    await person(identity, 10);
    writeAutogroup(identity.pid, 3); // someone else moves the session
    await actuator.restoreAll();
    expect(readStat(identity.pid)?.nice).toBe(0);
    expect(readAutogroup(identity.pid)?.nice).toBe(3);
  });
});

describe('restorePlan', () => {
  const p = (nice: number, autogroupNice?: number, threadNice?: [number, number][]) => ({
    op: 'priority' as const,
    value: { nice, ...(autogroupNice !== undefined ? { autogroupNice } : {}), ...(threadNice ? { threadNice } : {}) },
  });
  it('writes back only the fields still at Allot’s value, thread by thread', () => {
    expect(restorePlan(p(0, 0), p(10, 10), p(10, 10))).toEqual({ change: p(0, 0), external: [] });
    expect(restorePlan(p(0, 0), p(10, 10), p(5, 10))).toEqual({ change: p(5, 0), external: ['nice'] });
    expect(restorePlan(p(0, 0), p(10, 10), p(5, 3))).toEqual({ change: null, external: ['nice', 'autogroup nice'] });
    expect(restorePlan(p(0, 0), p(10, 10), p(0, 0))).toEqual({ change: null, external: [] });
    // Thread 7 was at -2 (its own); Allot moved it to 8; someone set thread 9 to 15 since.
    expect(restorePlan(p(0, undefined, [[7, -2]]), p(10, undefined, [[7, 8]]), p(10, undefined, [[7, 8], [9, 15]]))).toEqual({
      change: p(0, undefined, [[7, -2], [9, 15]]),
      external: ['1 thread nice value'],
    });
  });
  it('other operations are one field', () => {
    const w = (weight: number | null) => ({ op: 'cpuWeight' as const, value: { weight } });
    expect(restorePlan(w(null), w(50), w(50))).toEqual({ change: w(null), external: [] });
    expect(restorePlan(w(null), w(50), w(70))).toEqual({ change: null, external: ['cpuWeight'] });
  });
});

describe('irreversible changes (issue 18)', () => {
  /** An adapter that, like an ordinary user's, cannot undo a lowered priority unless told to go ahead. */
  const oneWay = (): typeof adapter => ({
    ...adapter,
    apply: async (target, change, options) =>
      options?.irreversible === 'allow' ? adapter.apply(target, change) : { kind: 'refused', reason: 'irreversible', message: 'Allot cannot raise it back without administrator rights' },
  });

  it('the engine is refused even when the request claims a confirmation; a person is asked, and the answer is audited', async () => {
    actuator = new Actuator({ adapter: oneWay(), journal, audit: new AuditLog(journal.db) });
    const { identity } = await spawnTarget();
    const change = { op: 'priority' as const, value: { nice: 9 } };
    expect(await actuator.apply({ target: identity, name: 'sleep', actor: 'engine', why: 'x', change, confirmIrreversible: true })).toMatchObject({ kind: 'refused', reason: 'irreversible' });
    expect(await actuator.apply({ target: identity, name: 'sleep', actor: 'user', why: 'x', change })).toMatchObject({ kind: 'refused', reason: 'irreversible' });
    expect(readStat(identity.pid)?.nice).toBe(0);
    const yes = await actuator.apply({ target: identity, name: 'sleep', actor: 'user', why: 'x', change, confirmIrreversible: true });
    expect(yes.kind).toBe('applied');
    expect(readStat(identity.pid)?.nice).toBe(9);
    const audit = actuator.audit.query({ pid: identity.pid }).entries;
    expect(audit.map((e) => [e.actor, e.result, e.reason])).toEqual([
      ['user', 'applied', null],
      ['user', 'refused', 'irreversible'],
      ['engine', 'refused', 'irreversible'],
    ]);
    expect(audit[0]!.message).toMatch(/confirmed by a person/);
    expect(audit[2]!.message).not.toMatch(/confirmed/);
  });
});
