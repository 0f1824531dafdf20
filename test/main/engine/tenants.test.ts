// Tenant budgets settle: hysteresis and a minimum hold instead of restrain/revert every ~15 s.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_FILE, RulesFileSchema } from '../../../src-shared/rules';
import { createEngine } from '../../../src-main/engine/engine';
import { World } from '../../fixtures/samples/builder';

const rules = RulesFileSchema.parse({
  ...JSON.parse(JSON.stringify(DEFAULT_RULES_FILE)),
  tenants: [{ id: 'bob', name: 'Bob', users: ['bob'], cpuBudgetPercent: 25 }],
});

describe('tenant budgets', () => {
  it('a tenant over budget is restrained and stays restrained while it still wants more: at most 2 changes a minute', () => {
    const world = new World(createEngine({ mode: 'auto', rules }), 1000);
    const all = world.run(240, () => {
      // Bob's job wants two cores; lowered it gets less (the restraint works), so its CPU alone falls under budget.
      const lowered = (world.nice.get(300) ?? 0) > 0;
      return {
        processes: [
          { pid: 50, name: 'editor', user: 'alice', cpuPercent: 30 },
          { pid: 300, name: 'job', user: 'bob', cpuPercent: lowered ? 30 : 150, ...(lowered ? { runQueueWaitMsPerSec: 1200 } : {}) },
        ],
        options: { cores: 2, systemCpuPercent: 95 },
        inputs: { foregroundPid: 50 },
      };
    });
    const onJob = all.filter((d) => d.target.pid === 300);
    expect(onJob.length).toBeGreaterThan(0);
    for (let m = 0; m < 4; m++) {
      const inMinute = onJob.filter((d) => d.at >= world.log[0]!.at + m * 60_000 && d.at < world.log[0]!.at + (m + 1) * 60_000);
      expect(inMinute.length, `minute ${m + 1}: ${inMinute.map((d) => `${d.source} ${JSON.stringify(d.change)}`).join('; ')}`).toBeLessThanOrEqual(2);
    }
    expect(world.nice.get(300)).toBeGreaterThan(0);
  });

  it('restores a tenant once its demand is back within budget, after the hold', () => {
    const world = new World(createEngine({ mode: 'auto', rules }), 1000);
    world.run(20, () => ({ processes: [{ pid: 50, name: 'editor', user: 'alice', cpuPercent: 30 }, { pid: 300, name: 'job', user: 'bob', cpuPercent: 150 }], options: { cores: 2, systemCpuPercent: 95 }, inputs: { foregroundPid: 50 } }));
    expect(world.nice.get(300)).toBeGreaterThan(0);
    world.run(180, () => ({ processes: [{ pid: 50, name: 'editor', user: 'alice', cpuPercent: 30 }, { pid: 300, name: 'job', user: 'bob', cpuPercent: 2 }], options: { cores: 2, systemCpuPercent: 95 }, inputs: { foregroundPid: 50 } }));
    expect(world.nice.get(300)).toBe(0);
  });
});
