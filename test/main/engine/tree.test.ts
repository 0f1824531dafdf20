// Act where the load lives: a build of short-lived compilers (each lives 2 s, a new one every second)
// and a fork storm are restrained at their root, so what the root starts next inherits the restraint.
// Where sessions are known (Linux autogroups) a session of background work is lowered as a whole
// instead (sessions.test.ts); the root is the lever where they are not (other systems, autogroups off)
// and where the build shares a session with interactive work.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src-main/engine/engine';
import { World, type ProcSpec } from '../../fixtures/samples/builder';

const editor: ProcSpec = { pid: 50, ppid: 40, name: 'editor', cpuPercent: 30, autogroup: 7 };
const terminal: ProcSpec = { pid: 40, ppid: 1, name: 'bash', cpuPercent: 0, autogroup: 7 };

/** make (pid 200) with two compilers alive at any time, each living 2 ticks; sessions unknown. */
function build(i: number, lifeTicks = 2): ProcSpec[] {
  const out: ProcSpec[] = [{ pid: 200, ppid: 1, name: 'runbuild', cpuPercent: 1 }];
  for (let k = 0; k < 2; k++) {
    const n = Math.floor((i + k) / lifeTicks) * 2 + k; // a new compiler every tick, each living lifeTicks ticks
    out.push({ pid: 1000 + n, ppid: 200, name: 'compile-unit', cpuPercent: 95 });
  }
  return out;
}

describe('process-tree restraint (builds and fork storms)', () => {
  it('lowers the build root when short-lived compilers keep it busy, and no compiler lives long enough for the balancer', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const all = world.run(20, (i) => ({ processes: [terminal, editor, ...build(i)], options: { cores: 2, systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    const onMake = all.filter((d) => d.target.pid === 200);
    expect(onMake.length).toBeGreaterThan(0);
    expect(onMake[0]).toMatchObject({ source: 'balancer', change: { op: 'nice', value: 5 }, undo: { op: 'nice', value: 0 }, apply: true });
    expect(onMake[0]!.reason).toMatch(/inherits/);
    // Within 5 s of the build starting, and deepened while it goes on.
    expect(onMake[0]!.at - world.log[0]!.at).toBeLessThanOrEqual(5000);
    expect(Math.max(...onMake.map((d) => (d.change.op === 'nice' ? d.change.value : 0)))).toBeGreaterThanOrEqual(10);
    // Never the foreground, its shell, or anything outside the build's session.
    expect(all.some((d) => d.target.pid === 50 || d.target.pid === 40)).toBe(false);
  });

  it('restores the root once the build is over and the machine is calm', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    world.run(15, (i) => ({ processes: [terminal, editor, ...build(i)], options: { cores: 2, systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(world.nice.get(200)).toBeGreaterThan(0);
    world.run(60, () => ({ processes: [terminal, editor, { pid: 200, ppid: 1, name: 'runbuild', cpuPercent: 0 }], options: { cores: 2, systemCpuPercent: 10 }, inputs: { foregroundPid: 50 } }));
    expect(world.nice.get(200)).toBe(0);
  });

  it('handles a fork storm at the parent: children that live one tick each', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const all = world.run(10, (i) => ({
      processes: [editor, { pid: 300, ppid: 1, name: 'forker', cpuPercent: 5 }, ...Array.from({ length: 5 }, (_, k) => ({ pid: 5000 + i * 5 + k, ppid: 300, name: 'child', cpuPercent: 30 }))],
      options: { cores: 2, systemCpuPercent: 100 },
      inputs: { foregroundPid: 50 },
    }));
    expect(all.some((d) => d.target.pid === 300 && d.change.op === 'nice' && d.change.value > 0)).toBe(true);
  });

  it('lowers the root of a build that shares its session with interactive work (the session cannot be lowered)', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    // The build runs in the editor's session (an IDE's terminal): runbuild's session holds the foreground.
    const inEditorSession = (i: number) => build(i).map((p) => ({ ...p, autogroup: 7, ...(p.pid === 200 ? { ppid: 40 } : {}) }));
    const all = world.run(20, (i) => ({ processes: [terminal, editor, ...inEditorSession(i)], options: { cores: 2, systemCpuPercent: 100 }, inputs: { foregroundPid: 50 } }));
    expect(all.some((d) => d.change.op === 'sessionNice')).toBe(false);
    expect(all.some((d) => d.target.pid === 200 && d.change.op === 'nice' && d.change.value > 0)).toBe(true);
    expect(all.some((d) => d.target.pid === 50 || d.target.pid === 40)).toBe(false);
  });

  it('leaves a parent alone whose children are long-lived (the balancer handles those), and the foreground tree', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const all = world.run(20, () => ({
      processes: [
        { pid: 60, ppid: 1, name: 'browser', cpuPercent: 10, autogroup: 3 },
        { pid: 61, ppid: 60, name: 'renderer', cpuPercent: 90, autogroup: 3 },
        { pid: 400, ppid: 1, name: 'sh', cpuPercent: 0, autogroup: 4 },
        { pid: 401, ppid: 400, name: 'hog', cpuPercent: 100, autogroup: 4 },
      ],
      options: { cores: 2, systemCpuPercent: 100 },
      inputs: { foregroundPid: 61 },
    }));
    // The tree restrainer never lowers the parent's own nice; the hog's session (all background) is
    // lowered as a whole (sessions.ts), the foreground's never.
    expect(all.some((d) => d.target.pid === 60 || (d.target.pid === 400 && d.change.op === 'nice'))).toBe(false);
    expect(all.some((d) => d.target.pid === 400 && d.change.op === 'sessionNice')).toBe(true);
  });
});
