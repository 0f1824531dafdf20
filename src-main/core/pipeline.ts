// The glue that makes the engine act. Per tick:
//   forecasts (system CPU and memory, per-program CPU and RSS, bounded) -> PlannerForecast ->
//   engine.tick -> in Auto: actuator.apply for decisions marked `apply` (actor 'engine', why = reason)
//   -> engine.onResults -> actuator.checkExternal for processes with changes in force -> TickReport.
// Free of Electron and HTTP: the core (Electron or `allot serve`) calls step() once per sample and
// publishes the report. Also applyAdvice() (a person clicks Apply on advice), setMode() (leaving Auto
// puts back everything the engine applied) and restoreAll() (exit).
//
// Sessions: with autogroups on (`autogroups`) and no cross-session weight, the engine is told nice
// ranks only inside a session; with `intents.crossSessionWeight` every lowering nice carries a
// cgroup weight, so the engine models it as ranking across the machine.
//
// Restores: when the engine undoes one of its own decisions (`revertOf`) whose changes this pipeline
// made, the journal records are undone (actuator.undo), which puts back the exact original values
// (including cgroup placement and the session's autogroup nice), rather than applying a new value.
import type { ProcessIdentity, Sample } from '../../src-shared/domain';
import type { ActionResult as EngineResult, Decision, EngineEvent, Mode } from '../../src-shared/engine';
import type { ActionResult as OsResult, Change as OsChange, ChangeRecord } from '../../src-shared/actions';
import type { AppliedChange, ApplyAdviceResult, ForecastSummary, HorizonForecast, ModelErrorRow, ProgramForecast, ReportedDecision, SeriesErrors, TickReport } from '../../src-shared/report';
import type { Engine, TickInputs } from '../engine/engine';
import type { PlannerForecast, ProgramCpuForecast } from '../engine/planner';
import type { Forecaster } from '../engine/forecast/types';
import { SeriesForecaster, type HorizonErrors, type ModelErrorRow as RawErrorRow, type SeriesForecast } from '../engine/forecast/selector';
import type { Actuator, ActuatorResult } from '../platform/actuator';
import { intentToChanges, statusOfRefusal, toEngineResult, type IntentOptions } from './intents';
import { IN_FORCE } from '../store/journal';

/** What the pipeline needs of the actuator: the real Actuator's public surface. */
export type ActuatorSurface = Pick<Actuator, 'apply' | 'undo' | 'checkExternal' | 'listChanges' | 'restoreAll'>;

// ---------------------------------------------------------------------------------------------
// Forecasts

/** One forecast series as the pipeline uses it. */
export interface SeriesModel {
  update(value: number): void;
  forecast(): SeriesForecast[];
  errors(): HorizonErrors[];
  /** One more model competing in the short horizons' selection (e.g. a GRU trained in a worker). */
  addModel(model: Forecaster): void;
  /** The same, in place of the model with that name if there is one (a retrained GRU). */
  replaceModel(model: Forecaster): boolean;
}

/** The one place that knows how the forecast module builds a series (selector over every model). */
export function createSeriesModel(stepMs: number, clampMin = 0, clampMax?: number): SeriesModel {
  return new SeriesForecaster({ stepMs, clampMin, ...(clampMax !== undefined ? { clampMax } : {}) });
}

export interface ForecastBankOptions {
  /** Spacing of the samples fed, ms (the sampling interval). Default 1000. */
  stepMs: number;
  /** Per-program series kept: the top N programs by recent CPU (plus programs with rules). */
  maxProgramSeries: number;
  /** A program series below `idleCpuPercent` this long (and not in the top N) is dropped. */
  idleDropMs: number;
  idleCpuPercent: number;
  /** Programs listed in the report's forecast summary. */
  topPrograms: number;
  /** Logical cores (clamps per-program CPU forecasts); taken from the sample when absent. */
  cores?: number;
}

export const DEFAULT_FORECAST_BANK_OPTIONS: ForecastBankOptions = {
  stepMs: 1000,
  maxProgramSeries: 64,
  idleDropMs: 60_000,
  idleCpuPercent: 0.5,
  topPrograms: 10,
};

interface ProgramSeries {
  programId: string;
  name: string;
  cpu: SeriesModel;
  rss: SeriesModel;
  /** EWMA of CPU (% of one core), for ranking. */
  cpuEwma: number;
  lastActiveAt: number;
  cpuPercent: number;
  rssBytes: number;
}

function horizonRow(f: SeriesForecast): HorizonForecast {
  return { horizonMs: f.horizonMs, target: f.target, model: f.model.slice(0, 256), p50: finite(f.p50), p90: finite(f.p90) };
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function errorRow(r: RawErrorRow, model = r.model): ModelErrorRow {
  return {
    model: model.slice(0, 256),
    mae: Number.isFinite(r.mae) && r.mae >= 0 ? r.mae : 0,
    mase: Number.isFinite(r.mase) && r.mase >= 0 ? r.mase : null,
    p90Coverage: Number.isFinite(r.p90Coverage) && r.p90Coverage >= 0 ? r.p90Coverage : 0,
    n: r.n,
  };
}

function at(forecasts: readonly SeriesForecast[], horizonMs: number): SeriesForecast | undefined {
  return forecasts.find((f) => f.horizonMs === horizonMs);
}

/** Forecast series for the system and for a bounded set of programs, fed one sample at a time. */
export class ForecastBank {
  readonly options: ForecastBankOptions;
  private systemCpu: SeriesModel;
  private systemMemory: SeriesModel | undefined;
  private memoryTotalBytes = 0;
  readonly programs = new Map<string, ProgramSeries>();

  constructor(options: Partial<ForecastBankOptions> = {}) {
    this.options = { ...DEFAULT_FORECAST_BANK_OPTIONS, ...options };
    if (!(this.options.stepMs > 0)) throw new Error(`ForecastBank: stepMs must be positive, got ${this.options.stepMs}`);
    this.systemCpu = createSeriesModel(this.options.stepMs, 0, 100);
  }

  /**
   * The sampling interval changed. Horizons are counted in steps, so every series starts again at
   * the new step (models learned at the old one would forecast the wrong distance ahead).
   */
  setStepMs(stepMs: number): void {
    if (!(stepMs > 0)) throw new Error(`ForecastBank: stepMs must be positive, got ${stepMs}`);
    if (stepMs === this.options.stepMs) return;
    this.options.stepMs = stepMs;
    this.systemCpu = createSeriesModel(stepMs, 0, 100);
    this.systemMemory = undefined;
    this.programs.clear();
  }

  /** Add a model to the system CPU series (its selection decides whether it is used). */
  /** Add a model to the system CPU series, or put it in place of the one with the same name (retrained). */
  addSystemCpuModel(model: Forecaster): void {
    this.systemCpu.replaceModel(model);
  }

  /** Feed one sample. `keep` names programs that get a series whatever their CPU (programs with rules). */
  update(sample: Sample, keep: ReadonlySet<string> = new Set()): void {
    const o = this.options;
    const now = sample.at;
    const cores = o.cores ?? Math.max(1, sample.system.cores.length);
    this.systemCpu.update(sample.system.cpuPercent);
    const total = sample.system.memory.totalBytes;
    if (!this.systemMemory || total !== this.memoryTotalBytes) {
      this.systemMemory = createSeriesModel(o.stepMs, 0, total > 0 ? total : undefined);
      this.memoryTotalBytes = total;
    }
    this.systemMemory.update(sample.system.memory.usedBytes);

    const totals = new Map<string, { name: string; cpu: number; rss: number }>();
    for (const p of sample.processes) {
      if (p.kernelThread) continue;
      const id = p.programId ?? p.name;
      const t = totals.get(id);
      if (t) {
        t.cpu += p.cpuPercent;
        t.rss += p.rssBytes;
      } else totals.set(id, { name: p.name, cpu: p.cpuPercent, rss: p.rssBytes });
    }
    // Rank by recent CPU: a tracked program's EWMA, else its current CPU.
    const alpha = 0.3;
    const rankOf = (id: string, cpu: number) => {
      const s = this.programs.get(id);
      return s ? s.cpuEwma + alpha * (cpu - s.cpuEwma) : cpu;
    };
    const ranked = [...totals.entries()]
      .map(([id, t]) => ({ id, t, rank: rankOf(id, t.cpu) }))
      .filter((x) => x.rank >= o.idleCpuPercent || keep.has(x.id))
      .sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const selected = new Set<string>();
    for (const x of ranked) {
      if (selected.size < o.maxProgramSeries || keep.has(x.id)) selected.add(x.id);
    }
    for (const id of selected) {
      if (this.programs.has(id)) continue;
      const t = totals.get(id)!;
      this.programs.set(id, {
        programId: id,
        name: t.name,
        cpu: createSeriesModel(o.stepMs, 0, cores * 100),
        rss: createSeriesModel(o.stepMs, 0),
        cpuEwma: t.cpu,
        lastActiveAt: now,
        cpuPercent: t.cpu,
        rssBytes: t.rss,
      });
    }
    for (const [id, s] of [...this.programs]) {
      const t = totals.get(id);
      const cpu = t?.cpu ?? 0;
      const rss = t?.rss ?? 0;
      s.cpu.update(cpu);
      s.rss.update(rss);
      s.cpuEwma += alpha * (cpu - s.cpuEwma);
      s.cpuPercent = cpu;
      s.rssBytes = rss;
      if (t) s.name = t.name;
      if (cpu >= o.idleCpuPercent) s.lastActiveAt = now;
      const idleMs = now - s.lastActiveAt;
      if (!selected.has(id) && !keep.has(id) && (idleMs >= o.idleDropMs || !t)) this.programs.delete(id);
    }
    // Hard bound: never more than twice the budget plus the kept programs.
    const bound = o.maxProgramSeries * 2 + keep.size;
    if (this.programs.size > bound) {
      const drop = [...this.programs.values()].filter((s) => !keep.has(s.programId) && !selected.has(s.programId)).sort((a, b) => a.cpuEwma - b.cpuEwma);
      for (const s of drop) {
        if (this.programs.size <= bound) break;
        this.programs.delete(s.programId);
      }
    }
  }

  /** The forecast in the shape the engine's planner takes. */
  plannerForecast(): PlannerForecast {
    const sys = this.systemCpu.forecast();
    const programs: Record<string, ProgramCpuForecast> = {};
    for (const [id, s] of this.programs) {
      const f = s.cpu.forecast();
      const f5 = at(f, 5_000);
      const f30 = at(f, 30_000);
      if (!f5 || !f30) continue;
      programs[id] = { p50CpuPercent5s: f5.p50, p90CpuPercent5s: f5.p90, p50CpuPercent30s: f30.p50, p90CpuPercent30s: f30.p90 };
    }
    const s5 = at(sys, 5_000);
    const s30 = at(sys, 30_000);
    return { ...(s5 ? { systemP90CpuPercent5s: s5.p90 } : {}), ...(s30 ? { systemP90CpuPercent30s: s30.p90 } : {}), programs };
  }

  /** Programs with the highest forecast CPU (30 s p90, then current). */
  topPrograms(n = this.options.topPrograms): ProgramSeries[] {
    const score = (s: ProgramSeries) => at(s.cpu.forecast(), 30_000)?.p90 ?? s.cpuPercent;
    return [...this.programs.values()].sort((a, b) => score(b) - score(a) || (a.programId < b.programId ? -1 : 1)).slice(0, n);
  }

  summary(): ForecastSummary {
    const programs: ProgramForecast[] = this.topPrograms().map((s) => ({
      programId: s.programId.slice(0, 1024),
      name: s.name.slice(0, 1024),
      cpuPercent: Math.max(0, s.cpuPercent),
      rssBytes: Math.max(0, s.rssBytes),
      cpu: s.cpu.forecast().map(horizonRow),
      rss: s.rss.forecast().map(horizonRow),
    }));
    return {
      systemCpu: this.systemCpu.forecast().map(horizonRow),
      systemMemory: this.systemMemory?.forecast().map(horizonRow) ?? [],
      programs,
      programSeries: this.programs.size,
    };
  }

  /** Rolling out-of-sample errors: every model for the system series, selected + output for the top programs. */
  errors(): SeriesErrors[] {
    const out: SeriesErrors[] = [];
    const push = (series: string, rows: HorizonErrors[], full: boolean) => {
      for (const h of rows) {
        const selectedRow = h.models.find((m) => m.model === h.selected);
        out.push({
          series: series.slice(0, 1056),
          horizonMs: h.horizonMs,
          selected: h.selected.slice(0, 256),
          output: errorRow(h.output),
          models: full ? h.models.slice(0, 32).map((m) => errorRow(m)) : selectedRow ? [errorRow(selectedRow)] : [],
        });
      }
    };
    push('system.cpu', this.systemCpu.errors(), true);
    if (this.systemMemory) push('system.memory', this.systemMemory.errors(), true);
    for (const s of this.topPrograms()) {
      push(`program.cpu:${s.programId}`, s.cpu.errors(), false);
      push(`program.rss:${s.programId}`, s.rss.errors(), false);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Pipeline

export interface PipelineOptions {
  engine: Engine;
  /** Absent: nothing is applied (decisions get an 'unsupported' result in Auto). */
  actuator?: ActuatorSurface;
  /** A bank to share, or options for a new one. */
  forecasts?: ForecastBank | Partial<ForecastBankOptions>;
  mode: Mode;
  /** Clock for result timestamps. Default Date.now. */
  now?: () => number;
  intents?: IntentOptions;
  /**
   * Linux sched_autogroup_enabled=1. Without `intents.crossSessionWeight` the engine is then told
   * that nice ranks only inside a session (TickInputs.niceRanksAcrossSessions = false), so its load
   * model, and the counterfactual its feedback judges against, share CPU by session first.
   */
  autogroups?: boolean;
  /** Advice (Advise-mode decisions) kept for applyAdvice, and for how long. */
  maxAdvice?: number;
  adviceTtlMs?: number;
}

export type PipelineInputs = Omit<TickInputs, 'forecast'>;

export interface ModeChangeReport {
  mode: Mode;
  decisions: ReportedDecision[];
  events: EngineEvent[];
  /** Engine changes put back by the sweep after leaving Auto (rule tiers, caps, ...). */
  restoredChangeIds: number[];
}

export interface Pipeline {
  step(sample: Sample, inputs?: PipelineInputs): Promise<TickReport>;
  applyAdvice(decisionId: string): Promise<ApplyAdviceResult>;
  setMode(mode: Mode): Promise<ModeChangeReport>;
  /** Shutdown: the engine's restores, then every change still in force goes back. */
  restoreAll(): Promise<ModeChangeReport>;
  mode(): Mode;
  readonly forecasts: ForecastBank;
  readonly engine: Engine;
}

interface AppliedRecord {
  target: ProcessIdentity;
  changeIds: number[];
}

function describeChange(change: OsChange, result: ActuatorResult): AppliedChange {
  return {
    op: change.op,
    kind: result.kind,
    ...(result.kind === 'refused' ? { reason: result.reason, message: result.message.slice(0, 1024) } : result.note ? { message: result.note.slice(0, 1024) } : {}),
    changeId: result.changeId,
  };
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { engine, actuator } = options;
  const now = options.now ?? Date.now;
  const bank = options.forecasts instanceof ForecastBank ? options.forecasts : new ForecastBank(options.forecasts ?? {});
  const maxAdvice = options.maxAdvice ?? 500;
  const adviceTtlMs = options.adviceTtlMs ?? 600_000;
  let mode: Mode = options.mode;
  if (engine.state().mode !== mode) engine.setMode(mode, now());
  /** Decision id -> journal records it created (for undo-based restores). */
  const applied = new Map<string, AppliedRecord>();
  /** Advise-mode decisions a person may still apply. */
  const advice = new Map<string, Decision>();

  function remember(id: string, record: AppliedRecord) {
    applied.set(id, record);
    while (applied.size > 5000) applied.delete(applied.keys().next().value!);
  }

  /** Carry out one decision; never throws. */
  async function execute(d: Decision, actor: 'engine' | 'user' | 'system'): Promise<ReportedDecision> {
    const stamp = now();
    if (!actuator) {
      return { decision: d, result: { decisionId: d.id, at: stamp, status: 'unsupported', message: 'no actuator in this run: nothing is applied' } };
    }
    const target = { pid: d.target.pid, startTime: d.target.startTime };
    const prior = d.revertOf !== undefined ? applied.get(d.revertOf) : undefined;
    try {
      if (prior && prior.changeIds.length > 0) {
        const results: ActuatorResult[] = [];
        for (const id of [...prior.changeIds].reverse()) results.push(await actuator.undo(id, actor, d.reason.slice(0, 1024)));
        applied.delete(d.revertOf!);
        const changes = results.map((r) => ({ op: 'undo', kind: r.kind, ...(r.kind === 'refused' ? { reason: r.reason, message: r.message.slice(0, 1024) } : {}), changeId: r.changeId }) satisfies AppliedChange);
        // A record already put back (by someone, or superseded) counts as done when any undo worked.
        const ok = results.some((r) => r.kind === 'applied');
        const first = results.find((r) => r.kind === 'refused' && r.reason !== 'invalid') ?? results[0]!;
        const result: EngineResult = ok || first.kind === 'applied'
          ? { decisionId: d.id, at: stamp, status: 'applied' }
          : { decisionId: d.id, at: stamp, status: statusOfRefusal(first.reason), message: `undo: ${first.message}`.slice(0, 1024) };
        return { decision: d, result, changes };
      }
      const mapping = intentToChanges(d.change, options.intents);
      if (!mapping.ok) return { decision: d, result: { decisionId: d.id, at: stamp, status: 'failed', message: mapping.error.slice(0, 1024) } };
      const results: ActuatorResult[] = [];
      for (const change of mapping.changes) {
        results.push(await actuator.apply({ target, name: d.target.name, change, actor, why: d.reason.slice(0, 1024) }));
      }
      const changeIds = results.filter((r) => r.kind === 'applied' && r.changeId !== null).map((r) => r.changeId!);
      if (changeIds.length > 0) remember(d.id, { target, changeIds });
      return {
        decision: d,
        result: toEngineResult(d.id, stamp, mapping.changes, results as OsResult[]),
        changes: mapping.changes.map((c, i) => describeChange(c, results[i]!)),
      };
    } catch (error) {
      return { decision: d, result: { decisionId: d.id, at: stamp, status: 'failed', message: `internal error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1024) } };
    }
  }

  async function executeAll(decisions: readonly Decision[], actor: 'engine' | 'system'): Promise<{ reported: ReportedDecision[]; events: EngineEvent[] }> {
    const reported: ReportedDecision[] = [];
    const results: EngineResult[] = [];
    for (const d of decisions) {
      if (d.apply && (mode === 'auto' || d.revertOf !== undefined)) {
        const r = await execute(d, actor);
        reported.push(r);
        if (r.result) results.push(r.result);
      } else {
        reported.push({ decision: d });
        if (!d.apply) {
          advice.set(d.id, d);
          while (advice.size > maxAdvice) advice.delete(advice.keys().next().value!);
        }
      }
    }
    const events = results.length ? engine.onResults(results) : [];
    return { reported, events };
  }

  function pruneAdvice(at: number) {
    for (const [id, d] of advice) if (at - d.at > adviceTtlMs) advice.delete(id);
  }

  /** Undo every change the engine made that is still in force (rule tiers, caps, anything missed). */
  async function sweepEngineChanges(why: string): Promise<number[]> {
    if (!actuator) return [];
    const done: number[] = [];
    const inForce: ChangeRecord[] = actuator.listChanges({ status: [...IN_FORCE], limit: 1000 });
    for (const record of inForce) {
      if (record.actor !== 'engine') continue;
      const r = await actuator.undo(record.id, 'system', why);
      if (r.kind === 'applied') done.push(record.id);
    }
    for (const [id, rec] of applied) if (rec.changeIds.every((c) => done.includes(c))) applied.delete(id);
    return done;
  }

  /**
   * Every change in force is checked, whoever made it (engine, rule, a person through the UI, CLI,
   * API or tray), on every tick in every mode; exited processes are marked gone on the way.
   */
  async function checkExternal(_sample: Sample) {
    if (!actuator) return [];
    const report = await actuator.checkExternal();
    return report.external.map((e) => ({
      changeId: e.changeId,
      target: e.target,
      name: e.name.slice(0, 1024),
      op: e.op,
      message: `${e.op} changed by someone else to ${JSON.stringify(e.actual.value)}; Allot backs off`.slice(0, 1024),
    }));
  }

  const pipeline: Pipeline = {
    forecasts: bank,
    engine,
    mode: () => mode,
    async step(sample, inputs = {}) {
      const t0 = performance.now();
      const keep = new Set<string>();
      for (const p of sample.processes) {
        const c = engine.classification(p.pid);
        if (c && c.policy.ruleIds.length > 0) keep.add(p.programId ?? p.name);
      }
      bank.update(sample, keep);
      const forecast = bank.plannerForecast();
      const t1 = performance.now();
      const scope = options.intents?.crossSessionWeight ? { niceRanksAcrossSessions: true } : options.autogroups ? { niceRanksAcrossSessions: false } : {};
      const out = engine.tick(sample, { ...scope, ...inputs, forecast });
      const t2 = performance.now();
      pruneAdvice(sample.at);
      const { reported, events } = await executeAll(out.decisions, 'engine');
      const external = await checkExternal(sample);
      const t3 = performance.now();
      return {
        at: sample.at,
        mode,
        decisions: reported,
        alerts: out.alerts,
        events: [...out.events, ...events],
        forecasts: bank.summary(),
        modelErrors: bank.errors(),
        external,
        timing: { forecastMs: t1 - t0, engineMs: t2 - t1, actMs: t3 - t2 },
      };
    },
    async applyAdvice(decisionId) {
      const d = advice.get(decisionId);
      if (!d) return { kind: 'invalid', message: `no advice with id ${decisionId.slice(0, 128)} (unknown, expired or already applied)` };
      if (!actuator) return { kind: 'invalid', message: 'no actuator in this run: nothing can be applied' };
      advice.delete(decisionId);
      const r = await execute(d, 'user');
      if (r.result) engine.onResults([r.result]);
      return { kind: 'done', decision: r };
    },
    async setMode(next) {
      const previous = mode;
      const out = engine.setMode(next, now());
      mode = next;
      if (next !== 'advise') advice.clear();
      const { reported, events } = await executeAll(out.decisions, 'system');
      const restoredChangeIds = previous === 'auto' && next !== 'auto' ? await sweepEngineChanges(`engine switched from auto to ${next}`) : [];
      return { mode, decisions: reported, events: [...out.events, ...events], restoredChangeIds };
    },
    async restoreAll() {
      const decisions = engine.restoreAll(now()).map((d) => ({ ...d, apply: true }));
      const { reported, events } = await executeAll(decisions, 'system');
      const restoredChangeIds: number[] = [];
      if (actuator) {
        const report = await actuator.restoreAll('system', 'Allot is stopping');
        for (const o of report.outcomes) if (o.status === 'restored') restoredChangeIds.push(o.changeId);
      }
      applied.clear();
      return { mode, decisions: reported, events, restoredChangeIds };
    },
  };
  return pipeline;
}
