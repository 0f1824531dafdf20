// The simulator: deterministic, CFS-like fair sharing by nice weight, caps, and the engine in Auto
// helping the interactive program without starving batch work.
import { describe, expect, it } from 'vitest';
import { RulesFileSchema } from '../../../src-shared/rules';
import { fairShares, processWeight, runSimulation, scenarioFromTrace } from '../../../src-main/engine/simulator';
import { getScenario, scenarioNames, type Scenario } from '../../../src-main/engine/scenarios';
import { MiB, proc, sample, T0 } from '../../fixtures/samples/builder';

const GiB = 1024 * MiB;

function machine(cores: number, processes: Scenario['processes'], seconds = 10): Scenario {
  return { name: 'test', description: 'test', cores, memoryBytes: 8 * GiB, seconds, processes };
}

const cpu = (r: ReturnType<typeof runSimulation>, pid: number) => r.processes.find((p) => p.pid === pid)!.cpuSeconds;

describe('fair share math', () => {
  it('water-fills by weight and never gives more than asked', () => {
    expect(fairShares([{ weight: 1, maxCores: 4 }, { weight: 1, maxCores: 4 }], 1)).toEqual([0.5, 0.5]);
    const s = fairShares([{ weight: 3, maxCores: 1 }, { weight: 1, maxCores: 1 }, { weight: 1, maxCores: 0.1 }], 2);
    expect(s[0]).toBeCloseTo(1, 9);
    expect(s[2]).toBeCloseTo(0.1, 9);
    expect(s[1]).toBeCloseTo(0.9, 9);
    expect(processWeight(0)).toBe(1024);
    expect(processWeight(10)).toBe(110);
    expect(processWeight(19, 100)).toBe(1024);
  });

  it('two equal hogs on one core get 50/50', () => {
    const r = runSimulation({ scenario: machine(1, [{ kind: 'batch', pid: 10, name: 'a' }, { kind: 'batch', pid: 11, name: 'b' }]), mode: 'off', seed: 1 });
    expect(cpu(r, 10)).toBeCloseTo(5, 6);
    expect(cpu(r, 11)).toBeCloseTo(5, 6);
  });

  it('nice 10 against nice 0 gets the kernel weight ratio (110 : 1024)', () => {
    const r = runSimulation({ scenario: machine(1, [{ kind: 'batch', pid: 10, name: 'a', nice: 0 }, { kind: 'batch', pid: 11, name: 'b', nice: 10 }]), mode: 'off', seed: 1 });
    expect(cpu(r, 10) / cpu(r, 11)).toBeCloseTo(1024 / 110, 3);
    expect(cpu(r, 10) + cpu(r, 11)).toBeCloseTo(10, 6);
  });

  it('a CPU cap from a rule holds, and the rest goes to the others', () => {
    const rules = RulesFileSchema.parse({
      version: 1,
      activeProfile: 'p',
      rules: [{ id: 'cap', match: { name: 'capped' }, action: { cpuCapPercent: 30 } }],
      profiles: [{ id: 'p', name: 'P', rules: '*', balancerEnabled: false, plannerEnabled: false }],
    });
    const r = runSimulation({
      scenario: machine(2, [{ kind: 'batch', pid: 10, name: 'capped', threads: 2 }, { kind: 'batch', pid: 11, name: 'free', threads: 2 }], 20),
      rules,
      mode: 'auto',
      seed: 1,
    });
    // The cap is applied after the first tick (1 s): 19 s at 0.3 core + the first second at 1 core.
    expect(cpu(r, 10)).toBeCloseTo(1 + 19 * 0.3, 3);
    expect(cpu(r, 11)).toBeCloseTo(1 + 19 * 1.7, 3);
    expect(r.actions.byOp.cpuCap).toBe(1);
  });

  it('an interactive frame alone takes its burst time', () => {
    const r = runSimulation({ scenario: machine(1, [{ kind: 'interactive', pid: 10, name: 'ui', frameMs: 30, burstCpuMs: 5 }]), mode: 'off', seed: 1 });
    expect(r.interactive.p50Ms).toBeCloseTo(5, 3);
    expect(r.interactive.p99Ms).toBeCloseTo(5, 3);
    expect(r.interactive.frames).toBeGreaterThan(300);
  });
});

describe('runSimulation', () => {
  it('is deterministic: the same seed gives the same report, another seed another one', () => {
    const a = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'auto', seed: 7, seconds: 20 });
    const b = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'auto', seed: 7, seconds: 20 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'auto', seed: 8, seconds: 20 });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('the engine in Auto improves the editor on 2 cores with 4 hogs, and batch work still gets done', () => {
    const off = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'off', seed: 1 });
    const auto = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'auto', seed: 1 });
    expect(off.actions.applied).toBe(0);
    expect(auto.actions.applied).toBeGreaterThan(0);
    expect(auto.interactive.p99Ms).toBeLessThan(off.interactive.p99Ms * 0.95);
    expect(auto.interactive.p50Ms).toBeLessThan(off.interactive.p50Ms * 0.7);
    expect(auto.batch.cpuSeconds).toBeGreaterThanOrEqual(off.batch.cpuSeconds * 0.85);
    expect(auto.tiers.foreground!.waitMsPerSec).toBeLessThan(off.tiers.foreground!.waitMsPerSec / 2);
  });

  it('Advise decides but changes nothing', () => {
    const off = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'off', seed: 1, seconds: 20 });
    const advise = runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'advise', seed: 1, seconds: 20 });
    expect(advise.actions.decisions).toBeGreaterThan(0);
    expect(advise.actions.applied).toBe(0);
    expect(advise.interactive).toEqual(off.interactive);
  });

  it('runs every scenario, and the leak and fork storm raise alerts', () => {
    for (const name of scenarioNames()) {
      const r = runSimulation({ scenario: getScenario(name)!, mode: 'auto', seed: 1 });
      expect(r.seconds).toBeGreaterThan(0);
      if (name === 'leak') expect((r.alerts['memory-leak'] ?? 0) + (r.alerts['memory-exhaustion'] ?? 0)).toBeGreaterThan(0);
      if (name === 'fork-storm') expect(r.alerts['fork-storm'] ?? 0).toBeGreaterThan(0);
    }
  });

  it('replays a trace: each process demands what it used', () => {
    const samples = Array.from({ length: 20 }, (_, i) =>
      sample(T0 + i * 1000, [proc({ pid: 10, name: 'steady', cpuPercent: i === 0 ? 0 : 50 }), proc({ pid: 11, name: 'late', cpuPercent: i >= 10 ? 100 : 0 })], { cores: 2 }),
    );
    const scenario = scenarioFromTrace({ name: 't', intervalMs: 1000, samples });
    expect(scenario.cores).toBe(2);
    const r = runSimulation({ trace: { name: 't', intervalMs: 1000, samples }, mode: 'off', seed: 1 });
    expect(r.source).toBe('trace:t');
    expect(cpu(r, 10)).toBeCloseTo(19 * 0.5, 1);
    expect(cpu(r, 11)).toBeCloseTo(10, 1);
  });

  it('refuses a quantum that does not divide the interval', () => {
    expect(() => runSimulation({ scenario: getScenario('editor-hogs')!, mode: 'off', seed: 1, quantumMs: 3, intervalMs: 1000 })).toThrow(/multiple/);
  });
});
