// Issue 11 §1: a value someone else set wins, whoever made Allot's change, and a restore never
// writes over it, field by field (thread nice and the session's autogroup nice independently).
// Real processes, real journal; every value read back from /proc.
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority as osSetPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Actuator } from '../../../src-main/platform/actuator';
import { autogroupEnabled, createLinuxAdapter, readAutogroup, writeAutogroup } from '../../../src-main/platform/adapter.linux';
import { readStat } from '../../../src-main/platform/identity.linux';
import { restorePlan } from '../../../src-main/platform/values';
import { Journal } from '../../../src-main/store/journal';
import { AuditLog } from '../../../src-main/store/audit';
import { killChildren, spawnTarget } from './helpers';

let dir: string;
let journal: Journal;
let actuator: Actuator;
const adapter = createLinuxAdapter({ selfPids: [], exclusions: [] });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'allot-outside-'));
  journal = Journal.open(join(dir, 'allot.db'));
  actuator = new Actuator({ adapter, journal, audit: new AuditLog(journal.db) });
});
afterEach(async () => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
  await killChildren();
});

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
