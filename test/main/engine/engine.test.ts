// The engine end to end on fixtures: modes, determinism, results, backoff, triggers, known programs.
import { describe, expect, it } from 'vitest';
import { DecisionSchema, EngineEventSchema, AlertSchema } from '../../../src-shared/engine';
import { createEngine } from '../../../src-main/engine/engine';
import { DecisionSink } from '../../../src-main/engine/ledger';
import { createProfileStore, updateProfiles } from '../../../src-main/engine/profiles';
import { runSimulation } from '../../../src-main/engine/simulator';
import { getScenario } from '../../../src-main/engine/scenarios';
import { World, proc, sample, T0, type ProcSpec } from '../../fixtures/samples/builder';

const fg: ProcSpec = { pid: 50, name: 'myeditor', cpuPercent: 90 };
const hogScenario = (i: number) => ({
  processes: [fg, { pid: 100, name: 'hog', cpuPercent: i % 40 < 20 ? 100 : 2 }, { pid: 101, name: 'cc1plus', cpuPercent: 60 }],
  inputs: { foregroundPid: 50 },
});

describe('engine', () => {
  it('advise mode decides but applies nothing, and does not repeat itself', () => {
    const engine = createEngine({ mode: 'advise' });
    const world = new World(engine, 1000);
    const all = world.run(15, () => ({ processes: [fg, { pid: 100, name: 'hog', cpuPercent: 100 }], inputs: { foregroundPid: 50 } }));
    expect(all.length).toBe(2); // step 1 at 3 s, step 2 at 6 s
    expect(all.every((d) => d.apply === false)).toBe(true);
    expect(world.nice.size).toBe(0);
    expect(all[1]!.change).toEqual({ op: 'nice', value: 10 });
    // Switching to auto drops advice without emitting restores for things never applied.
    expect(engine.setMode('auto', world.at).decisions).toEqual([]);
    expect(engine.state().restraints).toEqual([]);
  });

  it('off mode decides nothing', () => {
    const world = new World(createEngine({ mode: 'off' }), 1000);
    expect(world.run(30, hogScenario)).toEqual([]);
  });

  it('is deterministic: the same fixture run twice yields identical decisions', () => {
    const run = () => new World(createEngine({ mode: 'auto' }), 1000).run(200, hogScenario);
    const a = run();
    const b = run();
    expect(a.length).toBeGreaterThan(2);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('emits schema-valid decisions, alerts and events', () => {
    const engine = createEngine({ mode: 'auto' });
    const world = new World(engine, 1000);
    for (let i = 0; i < 60; i++) {
      const { out } = world.step(hogScenario(i));
      for (const d of out.decisions) expect(DecisionSchema.safeParse(d).success).toBe(true);
      for (const a of out.alerts) expect(AlertSchema.safeParse(a).success).toBe(true);
      for (const e of out.events) {
        expect(EngineEventSchema.safeParse(e).success).toBe(true);
        expect(e.type).not.toBe('degraded');
      }
    }
  });

  it('applies rule tiers to new processes once', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const all = world.run(5, () => ({ processes: [{ pid: 101, name: 'cc1plus', cpuPercent: 60 }, { pid: 102, name: 'firefox', cpuPercent: 5 }] }));
    // firefox: tier interactive = nice 0 = already so, no decision; cc1plus: batch.
    expect(all.map((d) => [d.source, d.target.pid, d.change])).toEqual([['rule', 101, { op: 'tier', value: 'batch' }]]);
  });

  it('restores at once when a restrained process comes to the foreground', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const procs = [fg, { pid: 100, name: 'hog', cpuPercent: 100 }];
    world.run(5, () => ({ processes: procs, inputs: { foregroundPid: 50 } }));
    expect(world.nice.get(100)).toBe(5);
    const { decisions } = world.step({ processes: procs, inputs: { foregroundPid: 100 } });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ change: { op: 'nice', value: 0 }, revertOf: expect.any(String) });
  });

  it('backs off when someone else changes a process it changed', () => {
    const engine = createEngine({ mode: 'auto' });
    const world = new World(engine, 1000);
    const procs = [fg, { pid: 100, name: 'hog', cpuPercent: 100 }];
    world.run(5, () => ({ processes: procs, inputs: { foregroundPid: 50 } }));
    world.nice.set(100, -3); // the user reniced it
    const { out } = world.step({ processes: procs, inputs: { foregroundPid: 50 } });
    expect(out.events.some((e) => e.type === 'backoff')).toBe(true);
    expect(world.run(30, () => ({ processes: procs, inputs: { foregroundPid: 50 } }))).toEqual([]);
  });

  it('a failed action is forgotten and the process left alone', () => {
    const engine = createEngine({ mode: 'auto' });
    let at = T0;
    const mk = () => sample((at += 1000), [proc(fg), proc({ pid: 100, name: 'hog', cpuPercent: 100 })]);
    let d;
    for (let i = 0; i < 5 && !d; i++) d = engine.tick(mk(), { foregroundPid: 50 }).decisions[0];
    expect(d).toBeDefined();
    const events = engine.onResults([{ decisionId: d!.id, at, status: 'failed', message: 'EPERM' }]);
    expect(events[0]).toMatchObject({ type: 'action-failed', message: 'EPERM' });
    expect(engine.state().restraints).toEqual([]);
    for (let i = 0; i < 20; i++) expect(engine.tick(mk(), { foregroundPid: 50 }).decisions).toEqual([]);
  });

  it('leaving auto restores everything it applied', () => {
    const engine = createEngine({ mode: 'auto' });
    const world = new World(engine, 1000);
    world.run(5, () => ({ processes: [fg, { pid: 100, name: 'hog', cpuPercent: 100 }], inputs: { foregroundPid: 50 } }));
    const out = engine.setMode('off', world.at);
    expect(out.decisions).toHaveLength(1);
    expect(out.decisions[0]).toMatchObject({ apply: true, change: { op: 'nice', value: 0 } });
  });

  it('ignores samples that go back in time', () => {
    const engine = createEngine({ mode: 'auto' });
    engine.tick(sample(T0 + 2000, [proc(fg)]));
    const out = engine.tick(sample(T0 + 1000, [proc(fg)]));
    expect(out.events[0]).toMatchObject({ type: 'degraded', what: 'sample' });
  });

  it('reports a missing foreground API once, and keeps working', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const first = world.step({ processes: [fg], inputs: { foregroundUnavailableReason: 'Wayland: no focused-window API' } });
    expect(first.out.events).toContainEqual({ type: 'degraded', at: world.at, what: 'foreground', reason: 'Wayland: no focused-window API' });
  });

  it('a trigger switches the profile while it holds and publishes on the bus', () => {
    const engine = createEngine({ mode: 'auto' });
    const seen: string[] = [];
    engine.bus.on('profile-changed', (e) => seen.push(e.profileId));
    engine.bus.on('*', () => {
      throw new Error('bad subscriber');
    });
    const world = new World(engine, 10_000);
    world.run(8, () => ({ processes: [fg], options: { batteryPercent: 15 } }));
    expect(engine.state().profileId).toBe('quiet');
    world.run(1, () => ({ processes: [fg], options: { batteryPercent: 60 } }));
    expect(engine.state().profileId).toBe('balanced');
    expect(seen).toEqual(['quiet', 'balanced']);
    expect(engine.bus.errors.length).toBeGreaterThan(0);
  });

  it('lowers a program the profile knows as batch work at its first tick', () => {
    const engine = createEngine({ mode: 'auto', knownProgramMinSamples: 20 });
    const world = new World(engine, 1000);
    // Learn: "crunch" runs flat out; the machine is not busy (4 cores), so the balancer stays out.
    world.run(40, () => ({ processes: [fg, { pid: 300, name: 'crunch', cpuPercent: 100, involuntaryCtxSwitchesPerSec: 500, voluntaryCtxSwitchesPerSec: 5 }], options: { cores: 4 }, inputs: { foregroundPid: 50 } }));
    world.run(3, () => ({ processes: [fg], options: { cores: 4 }, inputs: { foregroundPid: 50 } }));
    const { decisions } = world.step({ processes: [fg, { pid: 301, name: 'crunch', cpuPercent: 100, startedAtMs: world.at + 500 }], options: { cores: 4 }, inputs: { foregroundPid: 50 } });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ source: 'planner', target: { pid: 301 }, change: { op: 'nice', value: 5 } });
  });
});

describe('one decision per process and field per tick; rules win', () => {
  it('a rule tier and the planner never both decide a new compiler process in one tick (editor-build)', () => {
    const r = runSimulation({ scenario: getScenario('editor-build')!, mode: 'auto', seed: 1, maxDecisionLog: 10_000 });
    const fieldOf = (change: string) => (change.startsWith('tier=') || change.startsWith('nice=') ? 'nice' : change.split('=')[0]);
    const seenFields = new Set<string>();
    for (const d of r.decisionLog) {
      const k = `${d.atMs}|${d.target}|${fieldOf(d.change)}`;
      expect(seenFields.has(k), `two decisions on ${k}`).toBe(false);
      seenFields.add(k);
    }
    // cc1 is batch by rule: only the rule sets its nice.
    const cc1 = r.decisionLog.filter((d) => d.target.startsWith('cc1['));
    expect(cc1.length).toBeGreaterThan(0);
    expect(cc1.every((d) => d.source === 'rule' && d.change === 'tier="batch"')).toBe(true);
  });

  it('the planner and balancer leave a process whose nice a rule sets alone, even under a forecast of contention', () => {
    const world = new World(createEngine({ mode: 'auto' }), 1000);
    const all = world.run(20, () => ({
      processes: [
        { pid: 50, name: 'ide', cpuPercent: 80 },
        { pid: 101, name: 'cc1plus', cpuPercent: 100 },
      ],
      inputs: { foregroundPid: 50, forecast: { systemP90CpuPercent5s: 99, systemP90CpuPercent30s: 99, programs: {} } },
    }));
    expect(all.map((d) => [d.source, d.target.pid, d.change])).toEqual([['rule', 101, { op: 'tier', value: 'batch' }]]);
  });

  it('the decision sink refuses a second decision on a field already decided this tick', () => {
    const sink = new DecisionSink(T0, 'auto', (() => { let n = 0; return () => ++n; })());
    const target = { pid: 7, startTime: 70, name: 'x', programId: 'x' };
    const base = { target, reason: 'r', numbers: {}, expectedEffect: 'e' };
    expect(sink.decide({ ...base, source: 'rule', change: { op: 'tier', value: 'batch' } })).toBeDefined();
    expect(sink.decide({ ...base, source: 'planner', change: { op: 'nice', value: 5 } })).toBeUndefined();
    expect(sink.decide({ ...base, source: 'rule', change: { op: 'ioPriority', value: { class: 'idle', level: 7 } } })).toBeUndefined();
    expect(sink.decide({ ...base, source: 'rule', change: { op: 'cpuCap', value: 50 } })).toBeDefined();
    expect(sink.decisions.map((d) => d.change.op)).toEqual(['tier', 'cpuCap']);
    expect(sink.refused.map((r) => [r.heldBy, r.field])).toEqual([['rule', 'nice'], ['rule', 'ioPriority']]);
  });
});

describe('known programs at launch', () => {
  it('the balancer deepens the planner\'s launch-time restraint while the contention persists, step by step up to maxSteps', () => {
    const engine = createEngine({ mode: 'auto', knownProgramMinSamples: 20 });
    const world = new World(engine, 1000);
    // Learn "crunch" as batch work on a quiet 4-core machine (nothing is restrained while learning).
    world.run(40, () => ({ processes: [fg, { pid: 300, name: 'crunch', cpuPercent: 100, involuntaryCtxSwitchesPerSec: 500, voluntaryCtxSwitchesPerSec: 5 }], options: { cores: 4 }, inputs: { foregroundPid: 50 } }));
    world.run(3, () => ({ processes: [fg], options: { cores: 4 }, inputs: { foregroundPid: 50 } }));
    // It starts again, and this time the machine is busy (other work outside the engine's view): the
    // editor waits 60 ms/s with crunch at nice 0, 30 at nice 5, 5 at nice 10.
    const waitFor = (nice: number) => (nice >= 10 ? 5 : nice >= 5 ? 30 : 60);
    const all = world.run(30, (i) => ({
      processes: [
        { ...fg, runQueueWaitMsPerSec: waitFor(world.nice.get(301) ?? 0) },
        { pid: 301, name: 'crunch', cpuPercent: i === 0 ? 0 : 100, startedAtMs: world.at + 500 - i * 1000 },
      ],
      options: { cores: 4, systemCpuPercent: 97 },
      inputs: { foregroundPid: 50 },
    }));
    const onCrunch = all.filter((d) => d.target.pid === 301);
    expect(onCrunch[0]).toMatchObject({ source: 'planner', change: { op: 'nice', value: 5 }, numbers: { launch: 1 } });
    expect(onCrunch.map((d) => [d.source, d.change])).toEqual([
      ['planner', { op: 'nice', value: 5 }],
      ['balancer', { op: 'nice', value: 10 }],
    ]);
    // Same rate limit and hysteresis as the balancer's own steps.
    expect(onCrunch[1]!.at - onCrunch[0]!.at).toBeGreaterThanOrEqual(2800);
    expect(onCrunch[1]!.undo).toEqual({ op: 'nice', value: 0 });
    expect(world.nice.get(301)).toBe(10);
    expect(engine.state().restraints).toMatchObject([{ source: 'balancer', originalNice: 0, appliedNice: 10, steps: 2 }]);
  });

  it('restrains a known heavy program in the first sample that sees it, from its profile, though its CPU rate is still 0', () => {
    // A profile that knows "render" as a heavy background program (not batch: the planner, not the
    // learned-tier path, must act, on the profile's CPU quantiles).
    const profiles = createProfileStore();
    for (let i = 0; i < 60; i++) {
      const p = proc({ pid: 900, name: 'render', cpuPercent: 100 });
      updateProfiles(profiles, sample(T0 - 3_600_000 + i * 1000, [p]), new Map([[`${p.pid}:${p.startTime}`, 'background' as const]]));
    }
    const world = new World(createEngine({ mode: 'auto', profiles }), 1000);
    const editor = { pid: 50, name: 'myeditor', cpuPercent: 20 };
    const quiet = { systemP90CpuPercent5s: 12, systemP90CpuPercent30s: 12, programs: {} };
    world.run(3, () => ({ processes: [editor], inputs: { foregroundPid: 50, forecast: quiet } }));
    const { decisions } = world.step({
      processes: [editor, ...[600, 601, 602].map((pid) => ({ pid, name: 'render', cpuPercent: 0, startedAtMs: world.at + 500 }))],
      inputs: { foregroundPid: 50, forecast: quiet },
    });
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => d.source === 'planner' && [600, 601, 602].includes(d.target.pid) && d.change.op === 'nice')).toBe(true);
    expect(decisions[0]!.reason).toMatch(/just started/);
    expect(decisions[0]!.numbers.candidateDemandPercent).toBeGreaterThan(90);
  });

  it('watches launches of what its rules lower only in Auto', () => {
    const engine = createEngine({ mode: 'advise' });
    expect(engine.watchesLaunchOf('cc1')).toBe(false); // Advise acts on nothing: no reason to look early
    engine.setMode('auto', 1000);
    expect(engine.watchesLaunchOf('cc1')).toBe(true);
    expect(engine.watchesLaunchOf('firefox')).toBe(false);
    engine.setMode('off', 2000);
    expect(engine.watchesLaunchOf('cc1')).toBe(false);
  });
});
