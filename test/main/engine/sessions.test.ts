// A session of background work (a build started from a terminal, a setsid job) is lowered as a whole
// through its autogroup nice: at first sight of a compiler a rule calls batch, or after sustained
// CPU on a contended machine; never a session that holds the foreground, interactive work or Allot;
// restored when it goes quiet or a member comes to the foreground; someone else's value wins.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src-main/engine/engine';
import type { Decision } from '../../../src-shared/engine';
import { T0, World, type ProcSpec } from '../../fixtures/samples/builder';

const terminal: ProcSpec = { pid: 40, ppid: 1, name: 'bash', autogroup: 7 };
const editor: ProcSpec = { pid: 50, ppid: 40, name: 'editor', cpuPercent: 20, autogroup: 7 };
/** A build session: its shell (the oldest, the leader) and one compile at a time, a new one each tick. */
function buildSession(i: number, o: { ag?: number; shellChildrenCpu?: number; compilerCpu?: number; compiler?: string } = {}): ProcSpec[] {
  const ag = o.ag ?? 9;
  return [
    { pid: 300, ppid: 1, name: 'sh', startTime: 100, autogroup: ag, cpuPercent: 0, childrenCpuPercent: o.shellChildrenCpu ?? 0 },
    // A new compile each tick (World ticks every 1000 ms from T0): seen at 0 % CPU, just started.
    { pid: 1000 + i, ppid: 300, name: o.compiler ?? 'cc1', startTime: 10_000 + i, startedAtMs: T0 + i * 1000, autogroup: ag, cpuPercent: o.compilerCpu ?? 0 },
  ];
}
const sessionDecisions = (ds: readonly Decision[]): Decision[] => ds.filter((d) => d.change.op === 'sessionNice');

describe('session restraint (sessions.ts)', () => {
  it('lowers a build session at first sight of a compiler a rule calls batch, straight to 19, through its oldest member, on a calm machine', () => {
    const world = new World(createEngine({ mode: 'auto', selfPid: 9999 }), 1000);
    const first = world.step({ processes: [terminal, editor, ...buildSession(0)], options: { systemCpuPercent: 20 }, inputs: { foregroundPid: 50 } });
    const d = sessionDecisions(first.decisions);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ source: 'balancer', target: { pid: 300 }, change: { op: 'sessionNice', value: 19 }, undo: { op: 'sessionNice', value: 0 }, apply: true });
    expect(d[0]!.reason).toMatch(/cc1 is batch work.*whole session/);
    expect(world.sessionNice.get(9)).toBe(19);
    // Nothing in the editor's session, and no second decision while it stays lowered.
    const later = world.run(5, (i) => ({ processes: [terminal, editor, ...buildSession(i + 1)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(later)).toEqual([]);
    expect(later.some((x) => x.target.pid === 40 || x.target.pid === 50)).toBe(false);
  });

  it('never lowers a session that holds the foreground, Allot, or an interactive member', () => {
    // The compiler runs in the editor's session.
    const a = new World(createEngine({ mode: 'auto' }), 1000);
    const inEditor = a.run(8, (i) => ({ processes: [terminal, editor, ...buildSession(i, { ag: 7, compilerCpu: 100 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(inEditor)).toEqual([]);
    // Allot runs in the build's session.
    const b = new World(createEngine({ mode: 'auto', selfPid: 77 }), 1000);
    const withAllot = b.run(8, (i) => ({ processes: [terminal, editor, { pid: 77, ppid: 300, name: 'allot', autogroup: 9 }, ...buildSession(i, { compilerCpu: 100 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(withAllot)).toEqual([]);
    // A session-critical program (never touched) shares the session.
    const c = new World(createEngine({ mode: 'auto' }), 1000);
    const withPlayer = c.run(8, (i) => ({ processes: [terminal, editor, { pid: 310, ppid: 300, name: 'Xorg', autogroup: 9 }, ...buildSession(i, { compilerCpu: 100 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(withPlayer)).toEqual([]);
  });

  it('lowers an unknown busy session step by step on a contended machine, counting what its shell reaped', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    // Unknown program, each instance lives one tick (seen at 0% CPU): only the shell's reaped-children
    // CPU (cutime) shows the session is busy.
    const all = world.run(12, (i) => ({ processes: [terminal, editor, ...buildSession(i, { compiler: 'worker', shellChildrenCpu: 150 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    const d = sessionDecisions(all);
    expect(d.map((x) => (x.change.op === 'sessionNice' ? x.change.value : -1))).toEqual([10, 19]);
    expect(d[1]!.at - d[0]!.at).toBeGreaterThanOrEqual(2800);
    expect(d[0]!.at - world.log[0]!.at).toBeGreaterThanOrEqual(2000);
    // Without the reaped children's CPU the same session looks idle and is left alone.
    const idle = new World(createEngine({ mode: 'auto' }), 1000);
    expect(sessionDecisions(idle.run(12, (i) => ({ processes: [terminal, editor, ...buildSession(i, { compiler: 'worker' })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } })))).toEqual([]);
  });

  it('keeps a busy build lowered while its compilers are reaped between samples, and restores it once quiet', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const busy = world.run(30, (i) => ({ processes: [terminal, editor, ...buildSession(i, { shellChildrenCpu: 150 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    // One decision (lowered at first sight), no restore-and-lower-again while the build runs.
    expect(sessionDecisions(busy)).toHaveLength(1);
    expect(world.sessionNice.get(9)).toBe(19);
    const quiet = world.run(20, () => ({ processes: [terminal, editor, { pid: 300, ppid: 1, name: 'sh', startTime: 100, autogroup: 9 }], options: { systemCpuPercent: 10 }, inputs: { foregroundPid: 50 } }));
    const restore = sessionDecisions(quiet);
    expect(restore).toHaveLength(1);
    expect(restore[0]).toMatchObject({ target: { pid: 300 }, change: { op: 'sessionNice', value: 0 }, apply: true });
    expect(restore[0]!.revertOf).toMatch(/^balancer-/);
    expect(world.sessionNice.get(9)).toBe(0);
  });

  it('restores at once when a member comes to the foreground', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    world.run(3, (i) => ({ processes: [terminal, editor, ...buildSession(i, { shellChildrenCpu: 150 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(world.sessionNice.get(9)).toBe(19);
    const out = world.step({ processes: [terminal, editor, ...buildSession(3, { shellChildrenCpu: 150 })], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 300 } });
    expect(sessionDecisions(out.decisions)).toMatchObject([{ change: { op: 'sessionNice', value: 0 } }]);
    expect(out.decisions.find((d) => d.change.op === 'sessionNice')!.reason).toMatch(/foreground/);
    expect(world.sessionNice.get(9)).toBe(0);
  });

  it("backs off when someone else sets the session's nice", () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    world.run(2, (i) => ({ processes: [terminal, editor, ...buildSession(i)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(world.sessionNice.get(9)).toBe(19);
    world.sessionNice.set(9, 5); // someone else: `echo 5 > /proc/300/autogroup`
    const after = world.run(20, (i) => ({ processes: [terminal, editor, ...buildSession(i + 2)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(after)).toEqual([]);
    expect(world.engine.state().sessions).toEqual([]);
    expect(world.log.at(-1)!.samples.processes.find((p) => p.pid === 300)?.autogroupNice).toBe(5);
  });

  it('a refused session change is dropped and the session left alone for the back-off time', () => {
    const engine = createEngine({ mode: 'auto', backoffMs: 60_000 });
    let at = Date.UTC(2025, 0, 6, 9, 0, 0);
    const world = new World(engine, 1000, at);
    const first = world.engine.tick(sampleAt((at += 1000), 0), { foregroundPid: 50 });
    const d = sessionDecisions(first.decisions);
    expect(d).toHaveLength(1);
    const events = engine.onResults([{ decisionId: d[0]!.id, at, status: 'failed', message: 'needs root' }]);
    expect(events).toMatchObject([{ type: 'action-failed', decisionId: d[0]!.id }]);
    expect(engine.state().sessions).toEqual([]);
    const next: unknown[] = [];
    for (let i = 1; i < 30; i++) next.push(...sessionDecisions(engine.tick(sampleAt((at += 1000), i), { foregroundPid: 50 }).decisions));
    expect(next).toEqual([]);
  });

  it('leaving Auto and stopping put lowered sessions back; Advise only advises', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    world.run(2, (i) => ({ processes: [terminal, editor, ...buildSession(i)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    const out = world.engine.setMode('advise', world.at + 1);
    expect(sessionDecisions(out.decisions)).toMatchObject([{ change: { op: 'sessionNice', value: 0 }, apply: true }]);
    expect(out.decisions[0]!.revertOf).toBeDefined();
    expect(world.engine.state().sessions).toEqual([]);

    const advise = new World(createEngine({ mode: 'advise' }), 1000);
    const advised = sessionDecisions(advise.run(3, (i) => ({ processes: [terminal, editor, ...buildSession(i)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } })));
    expect(advised).toHaveLength(1);
    expect(advised[0]).toMatchObject({ apply: false });

    const stopping = new World(createEngine({ mode: 'auto' }), 1000);
    stopping.run(2, (i) => ({ processes: [terminal, editor, ...buildSession(i)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(stopping.engine.restoreAll(stopping.at + 1))).toMatchObject([{ change: { op: 'sessionNice', value: 0 }, apply: true }]);
  });

  it('leaves the members of a lowered session to it: no per-process restraint of a hog inside', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const all = world.run(20, (i) => ({
      processes: [terminal, editor, ...buildSession(i), { pid: 320, ppid: 300, name: 'hog', startTime: 200, autogroup: 9, cpuPercent: 100 }],
      options: { systemCpuPercent: 100 },
      inputs: { foregroundPid: 50 },
    }));
    expect(world.sessionNice.get(9)).toBe(19);
    expect(all.some((d) => d.target.pid === 320 && d.change.op === 'nice')).toBe(false);
  });

  it('leaves an idle build service alone: a rule-batch program that waits is not a build', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    // esbuild's service (a compiler by the default rules) started an hour ago and waits at 0 % CPU.
    const service: ProcSpec = { pid: 600, ppid: 1, name: 'esbuild', autogroup: 12 };
    const idle = world.run(30, () => ({ processes: [terminal, editor, service], options: { systemCpuPercent: 10 }, inputs: { foregroundPid: 50 } }));
    expect(sessionDecisions(idle)).toEqual([]);
    // When it works, its session is lowered at once.
    const busy = world.step({ processes: [terminal, editor, { ...service, cpuPercent: 80 }], options: { systemCpuPercent: 40 }, inputs: { foregroundPid: 50 } });
    expect(sessionDecisions(busy.decisions)).toMatchObject([{ target: { pid: 600 }, change: { op: 'sessionNice', value: 19 } }]);
  });
});

function sampleAt(at: number, i: number) {
  const w = new World(createEngine({ mode: 'off' }), 1000, at - 1000);
  return w.step({ processes: [terminal, editor, ...buildSession(i)], options: { systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }).sample;
}
