// Feedback loop: measured effect of a restraint, revert when it did not help.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src-main/engine/engine';
import { judgeEffect, DEFAULT_FEEDBACK_OPTIONS } from '../../../src-main/engine/feedback';
import { World } from '../../fixtures/samples/builder';

function scenario(helps: boolean) {
  const engine = createEngine({ mode: 'auto' });
  const world = new World(engine, 1000);
  const all = world.run(30, () => {
    const restrained = (world.nice.get(100) ?? 0) > 0;
    const wait = helps && restrained ? 5 : 60;
    return {
      processes: [
        { pid: 50, name: 'myeditor', cpuPercent: 90, runQueueWaitMsPerSec: wait },
        { pid: 100, name: 'hog', cpuPercent: 100 },
      ],
      options: { psiCpuSome10: helps && restrained ? 5 : 40 },
      inputs: { foregroundPid: 50 },
    };
  });
  return { engine, world, all };
}

describe('feedback', () => {
  it('reverts a restraint that did not help and lowers confidence', () => {
    const { engine, all } = scenario(false);
    const restraint = all.find((d) => d.source === 'balancer')!;
    const revert = all.find((d) => d.source === 'feedback');
    expect(revert).toBeDefined();
    expect(revert).toMatchObject({ change: { op: 'nice', value: 0 }, apply: true, target: { pid: 100 } });
    expect(all.find((d) => d.id === revert!.revertOf)?.source).toBe('balancer');
    expect(revert!.at - restraint.at).toBeGreaterThanOrEqual(DEFAULT_FEEDBACK_OPTIONS.measureMs);
    expect(revert!.numbers.confidence).toBeCloseTo(0.7, 5);
    expect(engine.effectOf(restraint.id)).toMatchObject({ verdict: 'no-effect', reverted: true, numbers: { protectedWaitMsPerSecBefore: 60, protectedWaitMsPerSecAfter: 60 } });
  });

  it('keeps a restraint that helped', () => {
    const { engine, all } = scenario(true);
    const restraint = all.find((d) => d.source === 'balancer')!;
    // The restraint as such is never reverted (its deeper step may be stepped back: see below).
    expect(all.some((d) => d.source === 'feedback' && d.change.op === 'nice' && d.change.value === 0)).toBe(false);
    expect(engine.effectOf(restraint.id)).toMatchObject({ verdict: 'helped', reverted: false });
  });

  it('judges a deeper step against the samples after the previous step, and steps back only that step when it did not help', () => {
    // Nice 5 cuts the editor's wait from 60 to 5 ms/s; nice 10 changes nothing more.
    const { engine, world, all } = scenario(true);
    const steps = all.filter((d) => d.source === 'balancer' && d.revertOf === undefined);
    expect(steps.map((d) => d.change)).toEqual([{ op: 'nice', value: 5 }, { op: 'nice', value: 10 }]);
    expect(engine.effectOf(steps[0]!.id)).toMatchObject({ verdict: 'helped', reverted: false });
    // The deeper step's "before" holds only samples taken with nice 5 in force (wait 5), not the nice-0 ones (60).
    expect(engine.effectOf(steps[1]!.id)).toMatchObject({ verdict: 'no-effect', reverted: true, numbers: { protectedWaitMsPerSecBefore: 5, protectedWaitMsPerSecAfter: 5 } });
    const back = all.filter((d) => d.source === 'feedback');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ change: { op: 'nice', value: 5 }, undo: { op: 'nice', value: 0 }, apply: true, target: { pid: 100 }, numbers: { stepBack: 1 } });
    expect(back[0]!.revertOf).toBeUndefined();
    expect(world.nice.get(100)).toBe(5);
    expect(engine.state().restraints).toMatchObject([{ appliedNice: 5, originalNice: 0, steps: 1 }]);
    // The depth cap: the same deeper step is not retried at once.
    const later = world.run(40, () => ({
      processes: [
        { pid: 50, name: 'myeditor', cpuPercent: 90, runQueueWaitMsPerSec: 5 },
        { pid: 100, name: 'hog', cpuPercent: 100 },
      ],
      inputs: { foregroundPid: 50 },
    }));
    expect(later.filter((d) => d.target.pid === 100)).toEqual([]);
    expect(world.nice.get(100)).toBe(5);
  });

  it('after repeated useless restraints the balancer stops trying', () => {
    const engine = createEngine({ mode: 'auto' });
    const world = new World(engine, 1000);
    const all = world.run(400, () => ({
      processes: [
        { pid: 50, name: 'myeditor', cpuPercent: 90, runQueueWaitMsPerSec: 60 },
        { pid: 100, name: 'hog', cpuPercent: 100 },
      ],
      options: { psiCpuSome10: 40 },
      inputs: { foregroundPid: 50 },
    }));
    const restraints = all.filter((d) => d.source === 'balancer' && d.revertOf === undefined);
    expect(restraints.length).toBeGreaterThanOrEqual(2);
    expect(restraints.length).toBeLessThanOrEqual(4);
    const last = all[all.length - 1]!;
    expect(world.at - last.at).toBeGreaterThan(200_000);
  });

  it('judges hurt and unknown', () => {
    const m = (at: number, wait?: number, psi?: number) => ({ at, protectedCount: 1, protectedCpuPercent: 50, ...(wait !== undefined ? { protectedWaitMsPerSec: wait } : {}), ...(psi !== undefined ? { psiCpuSomeAvg10: psi } : {}) });
    expect(judgeEffect([m(0, 10, 10)], [m(1, 30, 30)], DEFAULT_FEEDBACK_OPTIONS).verdict).toBe('hurt');
    expect(judgeEffect([m(0)], [m(1)], DEFAULT_FEEDBACK_OPTIONS).verdict).toBe('unknown');
    expect(judgeEffect([m(0, 10)], [m(1, 10.5)], DEFAULT_FEEDBACK_OPTIONS).verdict).toBe('no-effect');
  });
});

describe('feedback baseline for restraints taken at launch', () => {
  // "crunch" is known (from its profile) as batch work; four start at once beside an editor on 2
  // cores. The sample that first sees them has no CPU rate for them yet (0), and before it there was
  // no contention at all: an observed "before" would make the restraint look useless.
  function launchRun(waitWhenRestrainedMsPerSec: number, sessions?: { editor: number; crunch: number; niceRanksAcrossSessions: boolean; editorThreads?: number }) {
    const engine = createEngine({ mode: 'auto', knownProgramMinSamples: 20 });
    const world = new World(engine, 1000);
    const editor = { pid: 50, name: 'myeditor', cpuPercent: 20, runQueueWaitMsPerSec: 0, ...(sessions ? { autogroup: sessions.editor, autogroupNice: 0, threads: sessions.editorThreads ?? 1 } : {}) };
    world.run(40, () => ({ processes: [editor, { pid: 300, name: 'crunch', cpuPercent: 100, involuntaryCtxSwitchesPerSec: 500, voluntaryCtxSwitchesPerSec: 5 }], options: { cores: 4 }, inputs: { foregroundPid: 50 } }));
    world.run(5, () => ({ processes: [editor], inputs: { foregroundPid: 50 } }));
    const pids = [400, 401, 402, 403];
    let launchAt = 0;
    const all = world.run(20, (i, at) => {
      if (i === 0) launchAt = at;
      return {
        processes: [
          { ...editor, runQueueWaitMsPerSec: i === 0 ? 0 : waitWhenRestrainedMsPerSec },
          ...pids.map((pid) => ({ pid, name: 'crunch', cpuPercent: i === 0 ? 0 : 45, startedAtMs: launchAt - 500, runQueueWaitMsPerSec: i === 0 ? 0 : 550, ...(sessions ? { autogroup: sessions.crunch, autogroupNice: 0 } : {}) })),
        ],
        inputs: { foregroundPid: 50, ...(sessions ? { niceRanksAcrossSessions: sessions.niceRanksAcrossSessions } : {}) },
      };
    });
    return { engine, all };
  }

  it('judges a launch-time restraint against the contention predicted for it, and keeps it when the wait stays below that', () => {
    const { engine, all } = launchRun(20);
    const launch = all.filter((d) => d.source === 'planner' && d.revertOf === undefined);
    expect(launch.map((d) => d.target.pid).sort()).toEqual([400, 401, 402, 403]);
    expect(launch.every((d) => d.at === launch[0]!.at)).toBe(true);
    // Four nice-0 hogs against a 20 % editor on 2 cores: the model predicts a long wait without the restraint.
    expect(launch[0]!.numbers.predictedProtectedWaitMsPerSec!).toBeGreaterThan(200);
    expect(all.some((d) => d.source === 'feedback')).toBe(false);
    expect(engine.effectOf(launch[0]!.id)).toMatchObject({ verdict: 'helped', reverted: false, numbers: { baselinePredicted: 1, protectedWaitMsPerSecAfter: 20 } });
  });

  it('does not credit a nice-only restraint on another session with help it cannot give (autogroups: the counterfactual is session-fair)', () => {
    // crunch runs in session 2, the editor in session 1, and nice ranks only inside a session: the
    // editor's session keeps its share whatever crunch's nice, so its wait of 20 ms/s says nothing
    // about the restraint. Judged against the flat model's prediction it would look like help.
    const { engine, all } = launchRun(20, { editor: 1, crunch: 2, niceRanksAcrossSessions: false });
    const launch = all.filter((d) => d.source === 'planner' && d.revertOf === undefined);
    expect(launch.length).toBe(4);
    expect(launch[0]!.numbers.predictedProtectedWaitMsPerSec!).toBeLessThan(DEFAULT_FEEDBACK_OPTIONS.minWaitChangeMsPerSec);
    expect(engine.effectOf(launch[0]!.id)).toMatchObject({ verdict: 'unknown', reverted: false, numbers: { baselinePredicted: 1 } });
    // A two-threaded editor on 2 cores waits even with its session's fair core, restraint or not:
    // the contention is predicted, but no saving from this action, so no verdict either way.
    const threaded = launchRun(20, { editor: 1, crunch: 2, niceRanksAcrossSessions: false, editorThreads: 2 });
    const t0 = threaded.all.find((d) => d.source === 'planner' && d.revertOf === undefined)!;
    expect(t0.numbers.predictedProtectedWaitMsPerSec!).toBeGreaterThan(20);
    expect(t0.numbers.predictedProtectedWaitAfterMsPerSec!).toBeCloseTo(t0.numbers.predictedProtectedWaitMsPerSec!, 1);
    expect(threaded.engine.effectOf(t0.id)).toMatchObject({ verdict: 'unknown', reverted: false });
    // With a cross-session lever (a cgroup weight with every lowering nice) the flat model holds: help.
    const weighted = launchRun(20, { editor: 1, crunch: 2, niceRanksAcrossSessions: true });
    const first = weighted.all.find((d) => d.source === 'planner' && d.revertOf === undefined)!;
    expect(first.numbers.predictedProtectedWaitMsPerSec!).toBeGreaterThan(200);
    expect(weighted.engine.effectOf(first.id)).toMatchObject({ verdict: 'helped', reverted: false });
  });

  it('still reverts a launch-time restraint when the measured wait is no better than predicted without it', () => {
    const { engine, all } = launchRun(400);
    const launch = all.filter((d) => d.source === 'planner' && d.revertOf === undefined);
    expect(launch.length).toBe(4);
    expect(all.filter((d) => d.source === 'feedback').length).toBe(4);
    expect(engine.effectOf(launch[0]!.id)).toMatchObject({ reverted: true, numbers: { baselinePredicted: 1 } });
  });
});
