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
