// The restore journal on a real SQLite file: durable before acting, status transitions,
// supersede, paging, external marks, and restoreAll against a recording adapter.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessIdentity } from '../../../src-shared/domain';
import type { ActionResult, Change, ReadResult } from '../../../src-shared/actions';
import { Journal, type RestoringAdapter } from '../../../src-main/store/journal';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'allot-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const target = { pid: 1234, startTime: 99 };
const nice = (n: number): Change => ({ op: 'priority', value: { nice: n } });

function recorder(results: (t: ProcessIdentity) => ActionResult): RestoringAdapter & { calls: Array<[ProcessIdentity, Change]> } {
  const calls: Array<[ProcessIdentity, Change]> = [];
  return {
    calls,
    restore: async (t, change) => {
      calls.push([t, change]);
      return results(t);
    },
    cleanup: async () => ['/sys/fs/cgroup/cpu/allot-1-1'],
  };
}

describe('Journal', () => {
  it('has the original on disk before the act, visible to another process', () => {
    const path = join(dir, 'j.db');
    const journal = Journal.open(path);
    const record = journal.begin({ target, name: 'x', actor: 'engine', change: nice(10), before: nice(0), why: 'test' });
    // Another process reads the file while this connection stays open (as after a crash).
    const script = `const D=require('libsql');const d=new D(${JSON.stringify(path)},{readonly:true});console.log(JSON.stringify(d.prepare('SELECT status,before_json FROM journal_changes WHERE id=?').get(${record.id})))`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: process.cwd() });
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'pending', before_json: JSON.stringify(nice(0)) });
    journal.close();
  });

  it('supersedes older changes of the same op and keeps one in force', () => {
    const journal = Journal.open(join(dir, 'j.db'));
    const a = journal.begin({ target, name: 'x', actor: 'engine', change: nice(5), before: nice(0), why: 'a' });
    journal.markApplied(a.id, nice(5));
    const b = journal.begin({ target, name: 'x', actor: 'engine', change: nice(9), before: nice(0), why: 'b' });
    journal.markApplied(b.id, nice(9));
    const c = journal.begin({ target, name: 'x', actor: 'engine', change: { op: 'affinity', value: { cpus: [0] } }, before: { op: 'affinity', value: { cpus: [0, 1] } }, why: 'c' });
    journal.markApplied(c.id, null);
    expect(journal.get(a.id)?.status).toBe('superseded');
    expect(journal.inForce().map((r) => r.id)).toEqual([b.id, c.id]);
    expect(journal.inForceFor(target, 'priority')?.id).toBe(b.id);
    expect(journal.list({ limit: 2 }).map((r) => r.id)).toEqual([c.id, b.id]);
    expect(journal.list({ limit: 2, beforeId: b.id }).map((r) => r.id)).toEqual([a.id]);
    expect(journal.list({ status: 'superseded' }).map((r) => r.id)).toEqual([a.id]);
    journal.close();
  });

  it('restoreAll puts back what is in force (pending too), marks gone and failed, and cleans up', async () => {
    const path = join(dir, 'j.db');
    let journal = Journal.open(path);
    const applied = journal.begin({ target, name: 'x', actor: 'engine', change: nice(5), before: nice(0), why: 'a' });
    journal.markApplied(applied.id, nice(5));
    const pending = journal.begin({ target: { pid: 77, startTime: 1 }, name: 'y', actor: 'engine', change: nice(5), before: nice(2), why: 'crash before the act finished' });
    const refusedOne = journal.begin({ target: { pid: 88, startTime: 1 }, name: 'z', actor: 'user', change: nice(5), before: nice(-3), why: 'c' });
    journal.markApplied(refusedOne.id, nice(5));
    const done = journal.begin({ target, name: 'x', actor: 'engine', change: { op: 'ioPriority', value: { ioClass: 'idle', level: 0 } }, before: null, why: 'd' });
    journal.setStatus(done.id, 'failed', 'refused');
    journal.close();

    journal = Journal.open(path); // "next start"
    const adapter = recorder((t) =>
      t.pid === 77 ? { kind: 'refused', reason: 'gone', message: 'gone' } : t.pid === 88 ? { kind: 'refused', reason: 'permission', message: 'needs root' } : { kind: 'applied' },
    );
    const report = await journal.restoreAll(adapter);
    expect(adapter.calls.map(([t, c]) => [t.pid, c])).toEqual([
      [88, nice(-3)],
      [77, nice(2)],
      [1234, nice(0)],
    ]);
    expect(journal.get(applied.id)?.status).toBe('restored');
    expect(journal.get(pending.id)?.status).toBe('gone');
    expect(journal.get(refusedOne.id)).toMatchObject({ status: 'restore-failed', note: 'needs root' });
    expect(journal.get(done.id)?.status).toBe('failed');
    expect(report.cleaned).toEqual(['/sys/fs/cgroup/cpu/allot-1-1']);
    // The refused restore stays in force: Allot's value is probably still on the process.
    expect(journal.inForce().map((r) => r.id)).toEqual([refusedOne.id]);
    expect(journal.inForceFor({ pid: 88, startTime: 1 }, 'priority')?.before).toEqual(nice(-3));
    // The next restore tries again, and this time it works.
    const again = recorder(() => ({ kind: 'applied' }));
    await journal.restoreAll(again);
    expect(again.calls).toEqual([[{ pid: 88, startTime: 1 }, nice(-3)]]);
    expect(journal.get(refusedOne.id)?.status).toBe('restored');
    expect(journal.inForce()).toEqual([]);
    journal.close();
  });

  it("retries a refused restore only while the process has Allot's value: someone else's value since is left alone", async () => {
    const journal = Journal.open(join(dir, 'j.db'));
    const make = (pid: number) => {
      const record = journal.begin({ target: { pid, startTime: 1 }, name: 'x', actor: 'engine', change: nice(10), before: nice(0), why: 'a' });
      journal.markApplied(record.id, nice(10));
      journal.setStatus(record.id, 'restore-failed', 'needs root');
      return record.id;
    };
    const stillOurs = make(1);
    const renicedSince = make(2);
    const exited = make(3);
    const values: Record<number, ReadResult> = {
      1: { kind: 'value', value: { op: 'priority', value: { nice: 10 } } },
      2: { kind: 'value', value: { op: 'priority', value: { nice: 5 } } },
      3: { kind: 'refused', reason: 'gone', message: 'gone' },
    };
    const adapter = { ...recorder(() => ({ kind: 'applied' })), read: async (t: ProcessIdentity) => values[t.pid]! };
    const report = await journal.restoreAll(adapter);
    expect(adapter.calls.map(([t]) => t.pid)).toEqual([1]);
    expect(journal.get(stillOurs)?.status).toBe('restored');
    expect(journal.get(renicedSince)?.status).toBe('external');
    expect(journal.externalFor({ pid: 2, startTime: 1 })?.detail).toMatch(/changed to .*5.* by someone else/);
    expect(journal.get(exited)?.status).toBe('gone');
    expect(report.outcomes.map((o) => o.status).sort()).toEqual(['external', 'gone', 'restored']);
    journal.close();
  });

  it('does not call a change restored when its original cannot be read (a newer build wrote it)', async () => {
    const journal = Journal.open(join(dir, 'j.db'));
    const record = journal.begin({ target, name: 'x', actor: 'engine', change: nice(10), before: nice(0), why: 'a' });
    journal.markApplied(record.id, nice(10));
    journal.db.prepare('UPDATE journal_changes SET before_json = ? WHERE id = ?').run('{"op":"priority","value":{"nice":0,"fieldFromTheFuture":1}}', record.id);
    const adapter = recorder(() => ({ kind: 'applied' }));
    const report = await journal.restoreAll(adapter);
    expect(adapter.calls).toEqual([]);
    expect(report.outcomes[0]).toMatchObject({ status: 'restore-failed', result: { kind: 'refused', reason: 'failed' } });
    expect(journal.get(record.id)?.note).toMatch(/cannot be read/);
    // Not valid JSON at all: read as no value, never a crash.
    journal.db.prepare('UPDATE journal_changes SET before_json = ? WHERE id = ?').run('{broken', record.id);
    expect(journal.get(record.id)?.before).toBeNull();
    journal.close();
  });

  it('a later change of the same op supersedes a failed restore and keeps its original', () => {
    const journal = Journal.open(join(dir, 'j.db'));
    const first = journal.begin({ target, name: 'x', actor: 'user', change: nice(-5), before: nice(0), why: 'a' });
    journal.markApplied(first.id, nice(-5));
    journal.setStatus(first.id, 'restore-failed', 'needs root');
    // What an actuator does for the next change: the original comes from the change in force.
    const original = journal.inForceFor(target, 'priority')?.before;
    expect(original).toEqual(nice(0));
    const second = journal.begin({ target, name: 'x', actor: 'user', change: nice(3), before: original!, why: 'b' });
    journal.markApplied(second.id, nice(3));
    expect(journal.get(first.id)?.status).toBe('superseded');
    expect(journal.inForce().map((r) => [r.id, r.before])).toEqual([[second.id, nice(0)]]);
    journal.close();
  });

  it('every restore reads first: an applied or pending change is written back only where the value is still Allot\'s (issue 11 §1)', async () => {
    const journal = Journal.open(join(dir, 'read-first.db'));
    const applied = journal.begin({ target, name: 'x', actor: 'user', change: nice(10), before: nice(0), why: 'test' });
    journal.markApplied(applied.id, nice(10));
    const other = { pid: 4321, startTime: 7 };
    const crashed = journal.begin({ target: other, name: 'y', actor: 'engine', change: nice(12), before: nice(0), why: 'test' }); // pending: a crash before the act was confirmed
    const values = new Map([[target.pid, 4], [other.pid, 0]]); // someone reniced the first; the second never got Allot's value
    const adapter = { ...recorder(() => ({ kind: 'applied' })), read: async (t: ProcessIdentity): Promise<ReadResult> => ({ kind: 'value', value: nice(values.get(t.pid)!) as Extract<Change, { op: 'priority' }> }) };
    const report = await journal.restoreAll(adapter);
    expect(adapter.calls).toEqual([]);
    expect(report.outcomes.map((o) => [o.changeId, o.status])).toEqual([
      [crashed.id, 'restored'],
      [applied.id, 'external'],
    ]);
    expect(journal.externalFor(target)?.detail).toMatch(/nice changed to .*by someone else/);
    // Still Allot's value: written back.
    const again = journal.begin({ target: other, name: 'y', actor: 'engine', change: nice(12), before: nice(0), why: 'test' });
    values.set(other.pid, 12);
    expect((await journal.restoreOne(adapter, journal.get(again.id)!)).status).toBe('restored');
    expect(adapter.calls).toEqual([[other, nice(0)]]);
    journal.close();
  });

  it('records and clears externally managed processes', () => {
    const journal = Journal.open(join(dir, 'j.db'));
    expect(journal.externalFor(target)).toBeNull();
    journal.markExternal(target, 'priority', 'reniced by someone');
    expect(journal.externalFor(target)).toMatchObject({ op: 'priority', detail: 'reniced by someone' });
    expect(journal.externalFor({ pid: 1234, startTime: 100 })).toBeNull();
    journal.clearExternal(target);
    expect(journal.externalFor(target)).toBeNull();
    journal.close();
  });
});
