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
    expect(all.some((d) => d.source === 'feedback')).toBe(false);
    expect(engine.effectOf(restraint.id)).toMatchObject({ verdict: 'helped', reverted: false });
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
  function launchRun(waitWhenRestrainedMsPerSec: number) {
    const engine = createEngine({ mode: 'auto', knownProgramMinSamples: 20 });
    const world = new World(engine, 1000);
    const editor = { pid: 50, name: 'myeditor', cpuPercent: 20, runQueueWaitMsPerSec: 0 };
    world.run(40, () => ({ processes: [editor, { pid: 300, name: 'crunch', cpuPercent: 100, involuntaryCtxSwitchesPerSec: 500, voluntaryCtxSwitchesPerSec: 5 }], options: { cores: 4 }, inputs: { foregroundPid: 50 } }));
    world.run(5, () => ({ processes: [editor], inputs: { foregroundPid: 50 } }));
    const pids = [400, 401, 402, 403];
    let launchAt = 0;
    const all = world.run(20, (i, at) => {
      if (i === 0) launchAt = at;
      return {
        processes: [
          { ...editor, runQueueWaitMsPerSec: i === 0 ? 0 : waitWhenRestrainedMsPerSec },
          ...pids.map((pid) => ({ pid, name: 'crunch', cpuPercent: i === 0 ? 0 : 45, startedAtMs: launchAt - 500, runQueueWaitMsPerSec: i === 0 ? 0 : 550 })),
        ],
        inputs: { foregroundPid: 50 },
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

  it('still reverts a launch-time restraint when the measured wait is no better than predicted without it', () => {
    const { engine, all } = launchRun(400);
    const launch = all.filter((d) => d.source === 'planner' && d.revertOf === undefined);
    expect(launch.length).toBe(4);
    expect(all.filter((d) => d.source === 'feedback').length).toBe(4);
    expect(engine.effectOf(launch[0]!.id)).toMatchObject({ reverted: true, numbers: { baselinePredicted: 1 } });
  });
});
