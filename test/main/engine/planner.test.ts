// Proactive planner: cost/benefit restraints before contention; memory exhaustion and soft limits.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src-main/engine/engine';
import { chooseDepth, entryWaitMsPerSec, meanProtectedWaitMsPerSec, type LoadEntry } from '../../../src-main/engine/planner';
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

  it('shares by session first when nice ranks only inside a session: lowering a hog in another session saves nothing', () => {
    const e = (key: string, demandPercent: number, session: number, prot = false): LoadEntry => ({ key, demandPercent, maxCores: 1, nice: 0, protected: prot, tierWeight: prot ? 8 : 0.25, session, sessionNice: 0 });
    // A 15 % editor in session 1; four hogs in session 2, on 2 cores.
    const load = [e('ui', 15, 1, true), e('h1', 100, 2), e('h2', 100, 2), e('h3', 100, 2), e('h4', 100, 2)];
    const hogsAt = (n: number) => (x: LoadEntry) => (x.key === 'ui' ? 0 : n);
    // Flat (nice or a cgroup weight reaches across sessions): the editor waits, and nice 10 helps.
    expect(meanProtectedWaitMsPerSec(load, 2)).toBeCloseTo(225, 6);
    expect(meanProtectedWaitMsPerSec(load, 2, hogsAt(10))!).toBeLessThan(60);
    // By session: the editor's session gets its core whatever the hogs' nice; nothing to save.
    expect(meanProtectedWaitMsPerSec(load, 2, undefined, { bySession: true })).toBe(0);
    expect(meanProtectedWaitMsPerSec(load, 2, hogsAt(10), { bySession: true })).toBe(0);
    // The same hogs in the editor's session: the flat model again.
    const same = load.map((x) => ({ ...x, session: 1 }));
    expect(meanProtectedWaitMsPerSec(same, 2, undefined, { bySession: true })).toBeCloseTo(225, 6);
    // And the session's own nice (autogroup nice) counts: three busy sessions on 2 cores.
    const third = e('other', 100, 3);
    const plain = meanProtectedWaitMsPerSec([...load, third], 2, undefined, { bySession: true })!;
    const niced = meanProtectedWaitMsPerSec([...load.map((x) => (x.session === 2 ? { ...x, sessionNice: 10 } : x)), third], 2, undefined, { bySession: true })!;
    expect(plain).toBeGreaterThan(niced);
  });

  it('chooses more than one step only when the deeper step still pays', () => {
    const e = (key: string, demandPercent: number, prot = false): LoadEntry => ({ key, demandPercent, maxCores: 1, nice: 0, protected: prot, tierWeight: prot ? 8 : 0.25 });
    const hogs = ['h1', 'h2', 'h3', 'h4'];
    // Four hogs beside a 15 % editor on 2 cores: nice 10 still cuts the editor's wait a lot.
    const busy = [e('ui', 15, true), ...hogs.map((k) => e(k, 100))];
    expect(chooseDepth(busy, 2, new Set(hogs), 5, 2)).toBe(2);
    expect(chooseDepth(busy, 2, new Set(hogs), 5, 1)).toBe(1);
    // One hog beside the editor on 4 cores: nobody waits, one step is all it takes.
    expect(chooseDepth([e('ui', 15, true), e('h1', 100)], 4, new Set(['h1']), 5, 2)).toBe(1);
  });

  it('deepens restraints while the forecast contention persists, by its model, within maxSteps and the per-process interval', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const workers = [100, 101, 102, 103];
    // Machine CPU 80 % now (below the balancer's 85 %: only the planner acts), forecast 99 %.
    const all = world.run(20, () => ({
      processes: [{ pid: 50, name: 'ide', cpuPercent: 30 }, ...workers.map((pid) => ({ pid, name: 'worker', cpuPercent: 100 }))],
      options: { systemCpuPercent: 80 },
      inputs: { foregroundPid: 50, forecast: forecast(99) },
    }));
    expect(all.every((d) => d.source === 'planner' && d.change.op === 'nice')).toBe(true);
    // More than one step in one tick where the model says the second still pays...
    expect(all.some((d) => d.numbers.steps === 2 && d.change.op === 'nice' && d.change.value === 10 && d.numbers.niceBefore === 0)).toBe(true);
    // ...and a restraint in force deepened in a later tick.
    const deeper = all.filter((d) => d.numbers.niceBefore === 5);
    expect(deeper.length).toBeGreaterThan(0);
    expect(deeper[0]!.reason).toMatch(/further/);
    for (const pid of workers) {
      const mine = all.filter((d) => d.target.pid === pid);
      const nices = mine.map((d) => (d.change.op === 'nice' ? d.change.value : NaN));
      expect(nices.length).toBeGreaterThan(0);
      expect(nices.every((n, i) => i === 0 || n > nices[i - 1]!)).toBe(true);
      expect(Math.max(...nices)).toBeLessThanOrEqual(10);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.at - mine[i - 1]!.at).toBeGreaterThanOrEqual(2800);
    }
    expect(workers.filter((pid) => world.nice.get(pid) === 10).length).toBeGreaterThanOrEqual(2);
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

describe('memory-pressure guard', () => {
  it('warns once per episode (plus one escalation), never kills, and starts a new episode after a quiet spell', () => {
    const engine = createEngine({ mode: 'auto', leak: { sampleEveryMs: 1000, windowPoints: 60, minPoints: 30, minSpanMs: 30_000, minGrowthBytes: 16 * MiB } });
    const world = new World(engine, 1000);
    // A leak for 8 minutes: memory runs short the whole time.
    world.run(480, (i) => ({ processes: [{ pid: 70, name: 'leaky', rssBytes: 100 * MiB + i * 2 * MiB }], options: { availableBytes: Math.max(200 * MiB, 3000 * MiB - i * 4 * MiB) } }));
    const alerts = world.log.flatMap((l) => l.alerts).filter((a) => a.kind === 'memory-exhaustion');
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.length).toBeLessThanOrEqual(2);
    expect(alerts[0]!.message).toMatch(/never ends a process/);
    expect(world.log.flatMap((l) => l.decisions).some((d) => d.change.op === 'memoryLimit')).toBe(false);
    // Calm for 3 minutes, then pressure again: a new episode, a new warning.
    world.run(180, () => ({ processes: [{ pid: 70, name: 'leaky', rssBytes: 100 * MiB }], options: { availableBytes: 6000 * MiB } }));
    const before = world.log.flatMap((l) => l.alerts).filter((a) => a.kind === 'memory-exhaustion').length;
    world.run(5, () => ({ processes: [{ pid: 70, name: 'leaky', rssBytes: 100 * MiB }], options: { availableBytes: 100 * MiB } }));
    expect(world.log.flatMap((l) => l.alerts).filter((a) => a.kind === 'memory-exhaustion').length).toBe(before + 1);
  });
});
