// The pipeline: forecasts -> engine -> actuator -> feedback -> TickReport. A fake actuator (typed as
// the real Actuator's public surface) for the logic, and the real Linux actuator against a real busy
// child process for the end-to-end path.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change as OsChange, ChangeRecord } from '../../../src-shared/actions';
import { RulesFileSchema } from '../../../src-shared/rules';
import { TickReportSchema } from '../../../src-shared/report';
import { createEngine } from '../../../src-main/engine/engine';
import { createPipeline, type ActuatorSurface } from '../../../src-main/core/pipeline';
import { ForecastBank } from '../../../src-main/engine/forecast-bank';
import { niceToCgroupWeight } from '../../../src-main/engine/intents';
import { Actuator, type ApplyRequest, type ActuatorResult } from '../../../src-main/platform/actuator';
import { createLinuxAdapter } from '../../../src-main/platform/adapter.linux';
import { readStat } from '../../../src-main/platform/identity.linux';
import { Journal } from '../../../src-main/store/journal';
import { AuditLog } from '../../../src-main/store/audit';
import { createLinuxSampler } from '../../../src-main/monitor/sampler.linux';
import { proc, sample, T0 } from '../../fixtures/samples/builder';

/** Low thresholds: any process over 20 % of a core is lowered at once. */
const eagerRules = RulesFileSchema.parse({
  version: 1,
  activeProfile: 'eager',
  rules: [],
  profiles: [{ id: 'eager', name: 'Eager', rules: '*', thresholds: { systemCpuPercent: 0, processCpuPercent: 20, overForMs: 0, perProcessMinIntervalMs: 0 }, plannerEnabled: false }],
});

class FakeActuator implements ActuatorSurface {
  readonly applied: ApplyRequest[] = [];
  readonly undone: { id: number; actor: string }[] = [];
  readonly records = new Map<number, ChangeRecord>();
  nice = new Map<number, number>();
  private nextId = 1;
  refuseWith: 'gone' | undefined;

  async apply(request: ApplyRequest): Promise<ActuatorResult> {
    this.applied.push(request);
    if (this.refuseWith) return { kind: 'refused', reason: this.refuseWith, message: 'the process has exited', changeId: null };
    const id = this.nextId++;
    const before: OsChange = { op: 'priority', value: { nice: this.nice.get(request.target.pid) ?? 0 } };
    if (request.change.op === 'priority') this.nice.set(request.target.pid, request.change.value.nice);
    this.records.set(id, { id, target: request.target, name: request.name, actor: request.actor, change: request.change, before, after: request.change, status: 'applied', why: request.why, createdAtMs: 0, updatedAtMs: 0, note: null });
    return { kind: 'applied', before, after: request.change, changeId: id };
  }
  async undo(changeId: number, actor: Parameters<Actuator['undo']>[1]): Promise<ActuatorResult> {
    this.undone.push({ id: changeId, actor });
    const r = this.records.get(changeId);
    if (!r || r.status !== 'applied') return { kind: 'refused', reason: 'invalid', message: 'not in force', changeId };
    r.status = 'restored';
    if (r.before?.op === 'priority') this.nice.set(r.target.pid, r.before.value.nice);
    return { kind: 'applied', changeId };
  }
  async checkExternal(): ReturnType<Actuator['checkExternal']> {
    return { external: [], gone: [] };
  }
  listChanges(filter: Parameters<Actuator['listChanges']>[0] = {}): ChangeRecord[] {
    const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
    return [...this.records.values()].filter((r) => !statuses || statuses.includes(r.status)).reverse();
  }
  async restoreAll(): ReturnType<Actuator['restoreAll']> {
    const outcomes = [];
    for (const r of this.records.values()) {
      if (r.status !== 'applied') continue;
      await this.undo(r.id, 'system');
      outcomes.push({ changeId: r.id, target: r.target, name: r.name, op: r.change.op, status: 'restored' as const, result: { kind: 'applied' as const } });
    }
    return { outcomes, cleaned: [] };
  }
}

function hogSample(i: number, nice: number, extra: ReturnType<typeof proc>[] = []) {
  return sample(T0 + i * 1000, [proc({ pid: 50, name: 'editor', cpuPercent: 10 }), proc({ pid: 100, name: 'hog', cpuPercent: 100, nice }), ...extra]);
}

describe('pipeline with a fake actuator', () => {
  it('applies Auto decisions as the engine, feeds results back and reports', async () => {
    const actuator = new FakeActuator();
    const engine = createEngine({ rules: eagerRules, mode: 'auto' });
    const pipeline = createPipeline({ engine, actuator, mode: 'auto', now: () => T0 });
    const report = await pipeline.step(hogSample(1, 0), { foregroundPid: 50 });
    expect(() => TickReportSchema.parse(JSON.parse(JSON.stringify(report)))).not.toThrow();
    const d = report.decisions.find((x) => x.decision.target.pid === 100);
    expect(d?.decision.change).toEqual({ op: 'nice', value: 5 });
    expect(d?.result).toMatchObject({ status: 'applied' });
    expect(actuator.applied).toHaveLength(1);
    expect(actuator.applied[0]).toMatchObject({ actor: 'engine', why: d!.decision.reason, target: { pid: 100 }, change: { op: 'priority', value: { nice: 5 } } });
    expect(engine.state().restraints[0]).toMatchObject({ status: 'applied', appliedNice: 5 });
    expect(report.mode).toBe('auto');
    // The 5 min window-mean forecast appears once its first 10 s bucket is complete.
    expect(report.forecasts.systemCpu.map((f) => f.horizonMs)).toEqual([5_000, 30_000]);
    expect(report.forecasts.programs.map((p) => p.name)).toContain('hog');
    expect(report.modelErrors.some((e) => e.series === 'system.cpu')).toBe(true);
  });

  it('a refused action makes the engine forget the restraint', async () => {
    const actuator = new FakeActuator();
    actuator.refuseWith = 'gone';
    const engine = createEngine({ rules: eagerRules, mode: 'auto' });
    const pipeline = createPipeline({ engine, actuator, mode: 'auto' });
    const report = await pipeline.step(hogSample(1, 0), { foregroundPid: 50 });
    expect(report.decisions[0]?.result?.status).toBe('gone');
    expect(report.decisions[0]?.changes?.[0]).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(engine.state().restraints).toEqual([]);
  });

  it('in Advise mode applies nothing until a person applies the advice', async () => {
    const actuator = new FakeActuator();
    const engine = createEngine({ rules: eagerRules });
    const pipeline = createPipeline({ engine, actuator, mode: 'advise' });
    const report = await pipeline.step(hogSample(1, 0), { foregroundPid: 50 });
    const advice = report.decisions.find((x) => x.decision.target.pid === 100)!;
    expect(advice.decision.apply).toBe(false);
    expect(advice.result).toBeUndefined();
    expect(actuator.applied).toEqual([]);
    const res = await pipeline.applyAdvice(advice.decision.id);
    expect(res).toMatchObject({ kind: 'done', decision: { result: { status: 'applied' } } });
    expect(actuator.applied[0]).toMatchObject({ actor: 'user', change: { op: 'priority', value: { nice: 5 } } });
    expect(await pipeline.applyAdvice(advice.decision.id)).toMatchObject({ kind: 'invalid' });
    expect(await pipeline.applyAdvice('nope')).toMatchObject({ kind: 'invalid' });
  });

  it('leaving Auto undoes what the engine applied', async () => {
    const actuator = new FakeActuator();
    const engine = createEngine({ rules: eagerRules, mode: 'auto' });
    const pipeline = createPipeline({ engine, actuator, mode: 'auto' });
    await pipeline.step(hogSample(1, 0), { foregroundPid: 50 });
    expect(actuator.nice.get(100)).toBe(5);
    const out = await pipeline.setMode('off');
    expect(out.mode).toBe('off');
    expect(actuator.nice.get(100)).toBe(0);
    expect(actuator.undone.map((u) => u.id)).toEqual([1]);
    expect(engine.state()).toMatchObject({ mode: 'off', restraints: [] });
    expect(out.events.some((e) => e.type === 'mode-changed')).toBe(true);
    // Nothing is applied in Off.
    const r = await pipeline.step(hogSample(2, 0), { foregroundPid: 50 });
    expect(r.decisions).toEqual([]);
    expect(actuator.applied).toHaveLength(1);
  });

  it('without an actuator decisions are reported as not applied', async () => {
    const engine = createEngine({ rules: eagerRules, mode: 'auto' });
    const pipeline = createPipeline({ engine, mode: 'auto' });
    const report = await pipeline.step(hogSample(1, 0), { foregroundPid: 50 });
    expect(report.decisions[0]?.result?.status).toBe('unsupported');
    expect(engine.state().restraints).toEqual([]);
  });
});

describe('pipeline with cross-session weights (crossSessionWeight)', () => {
  it('feedback keeps a weighted restraint that helped and steps back a deeper step that did not, as a new nice + weight, never an undo to the original', async () => {
    const actuator = new FakeActuator();
    const engine = createEngine({ rules: eagerRules, mode: 'auto' });
    let clock = T0;
    const pipeline = createPipeline({ engine, actuator, mode: 'auto', now: () => clock, intents: { crossSessionWeight: true } });
    // The hog runs in another session: only the weight reaches across; with it the editor's wait
    // falls from 60 to 5 ms/s at nice 5 (weight 29), and nice 10 changes nothing more.
    for (let i = 1; i <= 20; i++) {
      clock = T0 + i * 1000;
      const nice = actuator.nice.get(100) ?? 0;
      const s = sample(clock, [proc({ pid: 50, name: 'editor', cpuPercent: 10, runQueueWaitMsPerSec: nice >= 5 ? 5 : 60 }), proc({ pid: 100, name: 'hog', cpuPercent: 100, nice })]);
      await pipeline.step(s, { foregroundPid: 50 });
    }
    const onHog = actuator.applied.filter((r) => r.target.pid === 100).map((r) => r.change);
    expect(onHog).toEqual([
      { op: 'priority', value: { nice: 5 } },
      { op: 'cpuWeight', value: { weight: niceToCgroupWeight(5) } },
      { op: 'priority', value: { nice: 10 } },
      { op: 'cpuWeight', value: { weight: niceToCgroupWeight(10) } },
      // The step back: applied as the earlier step's nice and weight (an undo would put back 0 / no weight).
      { op: 'priority', value: { nice: 5 } },
      { op: 'cpuWeight', value: { weight: niceToCgroupWeight(5) } },
    ]);
    expect(actuator.undone).toEqual([]);
    expect(actuator.nice.get(100)).toBe(5);
    expect(engine.state().restraints).toMatchObject([{ appliedNice: 5, originalNice: 0, status: 'applied' }]);
    const first = engine.state().restraints[0]!;
    expect(first.steps).toBe(1);
    // Leaving Auto undoes the step back's records (the journal's original: nice 0, no weight).
    await pipeline.setMode('off');
    expect(actuator.undone.length).toBeGreaterThanOrEqual(2);
    expect(engine.state().restraints).toEqual([]);
  });
});

describe('pipeline with a lowered session', () => {
  it("lowers the build's session first, and a rule's tier inside it comes without a cgroup weight (no cgroup move per compiler)", async () => {
    const actuator = new FakeActuator();
    const engine = createEngine({ mode: 'auto' }); // the default rules: compilers are tier batch
    const pipeline = createPipeline({ engine, actuator, mode: 'auto', now: () => T0 + 1000, intents: { crossSessionWeight: true } });
    const s = sample(T0 + 1000, [
      proc({ pid: 50, name: 'editor', cpuPercent: 10, autogroup: 7 }),
      proc({ pid: 300, name: 'sh', startTime: 100, autogroup: 9 }),
      proc({ pid: 301, ppid: 300, name: 'cc1', startTime: 200, startedAtMs: T0 + 500, autogroup: 9 }), // a compile that just started
      proc({ pid: 400, name: 'cc1', startTime: 300, autogroup: 7 }),
    ]);
    await pipeline.step(s, { foregroundPid: 50 });
    const changes = actuator.applied.map((r) => [r.target.pid, r.change.op]);
    // The session first (it reaches furthest), then the rule's tier: nice and I/O, no weight, inside
    // the lowered session; with a weight outside it (cc1 in the editor's session).
    expect(changes[0]).toEqual([300, 'sessionPriority']);
    expect(actuator.applied[0]!.change).toEqual({ op: 'sessionPriority', value: { nice: 19 } });
    expect(changes.filter(([pid]) => pid === 301)).toEqual([[301, 'priority'], [301, 'ioPriority']]);
    expect(changes.filter(([pid]) => pid === 400)).toEqual([[400, 'priority'], [400, 'cpuWeight'], [400, 'ioPriority']]);
  });
});

describe('pipeline tells the engine how far nice reaches', () => {
  it('autogroups without a weight: nice ranks only inside a session; with the cross-session weight: across the machine', async () => {
    const seen: (boolean | undefined)[] = [];
    const run = async (options: { autogroups?: boolean; crossSessionWeight?: boolean }) => {
      const engine = createEngine({ rules: eagerRules, mode: 'auto' });
      const tick = engine.tick.bind(engine);
      engine.tick = (s, inputs) => {
        seen.push(inputs?.niceRanksAcrossSessions);
        return tick(s, inputs);
      };
      const pipeline = createPipeline({ engine, actuator: new FakeActuator(), mode: 'auto', now: () => T0, ...(options.autogroups !== undefined ? { autogroups: options.autogroups } : {}), ...(options.crossSessionWeight ? { intents: { crossSessionWeight: true } } : {}) });
      await pipeline.step(hogSample(1, 0), { foregroundPid: 50 });
    };
    await run({ autogroups: true });
    await run({ autogroups: true, crossSessionWeight: true });
    await run({});
    expect(seen).toEqual([false, true, undefined]);
  });
});

describe('ForecastBank', () => {
  it('bounds the per-program series and drops idle ones', () => {
    const bank = new ForecastBank({ maxProgramSeries: 5, idleDropMs: 3_000 });
    const many = (i: number, busy: boolean) =>
      sample(T0 + i * 1000, Array.from({ length: 40 }, (_, k) => proc({ pid: 1000 + k, name: `p${k}`, cpuPercent: busy ? 1 + k : 0 })));
    for (let i = 1; i <= 5; i++) bank.update(many(i, true));
    expect(bank.programs.size).toBe(5);
    expect([...bank.programs.keys()].sort()).toEqual(['p35', 'p36', 'p37', 'p38', 'p39']);
    bank.update(many(6, true), new Set(['p0']));
    expect(bank.programs.has('p0')).toBe(true);
    for (let i = 7; i <= 30; i++) bank.update(many(i, false));
    expect(bank.programs.size).toBe(0);
    const f = bank.plannerForecast();
    expect(f.systemP90CpuPercent5s).toBeGreaterThanOrEqual(0);
  });

  it('forecasts a steady program near its level', () => {
    const bank = new ForecastBank();
    for (let i = 1; i <= 40; i++) bank.update(sample(T0 + i * 1000, [proc({ pid: 7, name: 'steady', cpuPercent: 60 })]));
    const f = bank.plannerForecast().programs.steady!;
    expect(f.p50CpuPercent5s).toBeCloseTo(60, 0);
    expect(f.p90CpuPercent30s).toBeGreaterThanOrEqual(f.p50CpuPercent30s);
  });
});

describe('pipeline with the real Linux actuator', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lowers a busy child in Auto, /proc shows it, and leaving Auto restores it', async () => {
    child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    const pid = child.pid!;
    const deadline = Date.now() + 5000;
    while (readStat(pid)?.comm !== 'node' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    dir = mkdtempSync(join(tmpdir(), 'allot-pipeline-'));
    const journal = Journal.open(join(dir, 'allot.db'));
    try {
      const actuator = new Actuator({ adapter: createLinuxAdapter({ selfPids: [], exclusions: [] }), journal, audit: new AuditLog(journal.db) });
      const engine = createEngine({ rules: eagerRules, mode: 'auto', selfPid: process.pid });
      const pipeline = createPipeline({ engine, actuator, mode: 'auto' });
      const sampler = createLinuxSampler();
      let lowered = false;
      try {
        await sampler.sample();
        for (let i = 0; i < 10 && !lowered; i++) {
          await new Promise((r) => setTimeout(r, 300));
          const s = await sampler.sample();
          // Only our child: the engine must not touch anything else on this shared machine. Its load is
          // stated (a busy machine may give the child little CPU): what is real is the process, the
          // change the actuator makes and what /proc shows.
          const mine = { ...s, system: { ...s.system, cpuPercent: 100 }, processes: s.processes.filter((p) => p.pid === pid).map((p) => ({ ...p, cpuPercent: 100 })) };
          const report = await pipeline.step(mine, {});
          lowered = report.decisions.some((d) => d.decision.target.pid === pid && d.result?.status === 'applied');
        }
      } finally {
        sampler.close();
      }
      expect(lowered).toBe(true);
      expect(readStat(pid)?.nice).toBe(5);
      expect(actuator.listChanges({ status: 'applied' })).toHaveLength(1);
      await pipeline.setMode('off');
      expect(readStat(pid)?.nice).toBe(0);
      expect(actuator.listChanges({ status: ['pending', 'applied'] })).toEqual([]);
    } finally {
      journal.close();
    }
  }, 20_000);

  it("checks a person's change (changes.apply, not the engine) for outside changes on every tick, in any mode (issue 11 §1)", async () => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid!;
    const deadline = Date.now() + 5000;
    while (readStat(pid)?.comm !== 'sleep' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const target = { pid, startTime: readStat(pid)!.startTime };
    dir = mkdtempSync(join(tmpdir(), 'allot-pipeline-'));
    const journal = Journal.open(join(dir, 'allot.db'));
    try {
      const actuator = new Actuator({ adapter: createLinuxAdapter({ selfPids: [], exclusions: [] }), journal, audit: new AuditLog(journal.db) });
      const engine = createEngine({ rules: eagerRules, mode: 'off', selfPid: process.pid });
      const pipeline = createPipeline({ engine, actuator, mode: 'off' });
      const mine = await actuator.apply({ target, name: 'sleep', actor: 'cli', why: 'allot apply', change: { op: 'priority', value: { nice: 10 } } });
      expect(mine.kind).toBe('applied');
      const tick = sample(T0, [proc({ pid, startTime: target.startTime, name: 'sleep' })]);
      expect((await pipeline.step(tick, {})).external).toEqual([]);
      setPriority(pid, 5); // renice -n 5 -p P
      const report = await pipeline.step(sample(T0 + 1000, [proc({ pid, startTime: target.startTime, name: 'sleep' })]), {});
      expect(report.external).toMatchObject([{ changeId: mine.changeId, op: 'priority' }]);
      expect(journal.get(mine.changeId!)?.status).toBe('external');
      await pipeline.restoreAll();
      expect(readStat(pid)?.nice).toBe(5);
    } finally {
      journal.close();
    }
  }, 20_000);
});
