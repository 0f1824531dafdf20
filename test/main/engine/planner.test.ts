// Proactive planner: cost/benefit restraints before contention; memory exhaustion and soft limits.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src-main/engine/engine';
import { entryWaitMsPerSec, meanProtectedWaitMsPerSec, type LoadEntry } from '../../../src-main/engine/planner';
import { DEFAULT_RULES_FILE, type RulesFile } from '../../../src-shared/rules';
import { World, MiB } from '../../fixtures/samples/builder';

const forecast = (systemP90: number) => ({ systemP90CpuPercent5s: systemP90 - 5, systemP90CpuPercent30s: systemP90, programs: {} });

describe('planner', () => {
  it('models run-queue wait by weight: none without contention, less for the protected program when a hog is lowered', () => {
    const e = (key: string, demandPercent: number, nice = 0, prot = false): LoadEntry => ({ key, demandPercent, maxCores: 1, nice, protected: prot, tierWeight: prot ? 8 : 0.25 });
    // A 15 % editor and one hog on 2 cores: nobody waits.
    expect(entryWaitMsPerSec([e('ui', 15, 0, true), e('h', 100)], 0, 2)).toBe(0);
    // Four hogs: the editor gets 2/5 of the machine when it has work: runnable 0.375 s/s, waiting 60 % of it.
    const load = [e('ui', 15, 0, true), e('h1', 100), e('h2', 100), e('h3', 100), e('h4', 100)];
    expect(entryWaitMsPerSec(load, 0, 2)).toBeCloseTo(225, 6);
    const lowered = meanProtectedWaitMsPerSec(load, 2, (x) => (x.key === 'ui' ? 0 : 5))!;
    expect(lowered).toBeLessThan(60);
    expect(meanProtectedWaitMsPerSec(load, 2)).toBeCloseTo(225, 6);
  });

  it('acts before contention when the forecast exceeds capacity and benefit beats cost', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const { decisions } = world.step({
      processes: [
        { pid: 50, name: 'ide', cpuPercent: 80 },
        { pid: 100, name: 'worker', cpuPercent: 60 },
      ],
      inputs: { foregroundPid: 50, forecast: forecast(98) },
    });
    // Now: 70 % machine CPU, below the balancer's 85 %: only the planner can act.
    expect(world.log[0]!.samples.system.cpuPercent).toBe(70);
    expect(decisions).toHaveLength(1);
    const d = decisions[0]!;
    expect(d).toMatchObject({ source: 'planner', target: { pid: 100 }, change: { op: 'nice', value: 5 } });
    expect(d.numbers.benefitWaitMsPerSec!).toBeGreaterThan(d.numbers.costWaitMsPerSec!);
    expect(d.reason).toMatch(/before contention/);
  });

  it('does not act when the cost exceeds the benefit', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const { decisions } = world.step({
      processes: [
        { pid: 50, name: 'ide', cpuPercent: 2 },
        { pid: 100, name: 'worker', cpuPercent: 60 },
      ],
      inputs: { foregroundPid: 50, forecast: forecast(98) },
    });
    expect(decisions).toEqual([]);
  });

  it('does not act when the forecast fits, and releases its restraints when demand falls', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const procs = [
      { pid: 50, name: 'ide', cpuPercent: 80 },
      { pid: 100, name: 'worker', cpuPercent: 60 },
    ];
    expect(world.step({ processes: procs, inputs: { foregroundPid: 50, forecast: forecast(80) } }).decisions).toEqual([]);
    expect(world.step({ processes: procs, inputs: { foregroundPid: 50, forecast: forecast(98) } }).decisions).toHaveLength(1);
    const later = world.run(10, () => ({ processes: procs, inputs: { foregroundPid: 50, forecast: forecast(50) } }));
    expect(later).toHaveLength(1);
    expect(later[0]).toMatchObject({ source: 'planner', change: { op: 'nice', value: 0 }, revertOf: expect.any(String) });
  });

  it('warns about memory exhaustion and sets a soft limit only where a rule allows it', () => {
    const rules: RulesFile = {
      ...DEFAULT_RULES_FILE,
      rules: [...DEFAULT_RULES_FILE.rules, { id: 'leaky-limit', enabled: true, match: { name: 'leaky' }, action: { memoryLimitBytes: 2048 * MiB } }],
      profiles: DEFAULT_RULES_FILE.profiles.map((p) => ({ ...p, rules: '*' as const })),
    };
    const engine = createEngine({ mode: 'auto', rules, leak: { sampleEveryMs: 1000, windowPoints: 60, minPoints: 30, minSpanMs: 30_000, minGrowthBytes: 16 * MiB } });
    const world = new World(engine, 1000);
    const all = world.run(60, (i) => ({
      processes: [
        { pid: 70, name: 'leaky', rssBytes: 100 * MiB + i * 4 * MiB },
        { pid: 71, name: 'other-leaky', rssBytes: 100 * MiB + i * 4 * MiB },
      ],
      options: { availableBytes: 2000 * MiB - i * 8 * MiB },
    }));
    const limits = all.filter((d) => d.change.op === 'memoryLimit');
    expect(limits).toHaveLength(1);
    expect(limits[0]).toMatchObject({ target: { pid: 70 }, change: { op: 'memoryLimit', value: 2048 * MiB }, source: 'rule' });
    const alerts = world.log.flatMap((l) => l.alerts);
    const exhaustion = alerts.filter((a) => a.kind === 'memory-exhaustion');
    expect(exhaustion.length).toBeGreaterThan(0);
    expect(exhaustion[0]!.evidence.timeToExhaustionMs!).toBeLessThan(3_600_000);
    expect(exhaustion[0]!.message).toMatch(/leaky/);
    expect(alerts.filter((a) => a.kind === 'memory-leak').map((a) => a.target?.pid).sort()).toEqual([70, 71]);
  });
});
