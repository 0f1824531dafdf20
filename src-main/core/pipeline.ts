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
import type { IntentResult, Decision, EngineEvent, Mode } from '../../src-shared/engine';
import type { ActionResult as OsResult, Change as OsChange, ChangeRecord } from '../../src-shared/actions';
import type { AppliedChange, ApplyAdviceResult, ReportedDecision, TickReport } from '../../src-shared/report';
import type { Engine, TickInputs } from '../engine/engine';
import { ForecastBank, type ForecastBankOptions } from '../engine/forecast-bank';
import type { Actuator, ActuatorResult } from '../platform/actuator';
import { intentToChanges, statusOfRefusal, toEngineResult, type IntentOptions } from '../engine/intents';
import { IN_FORCE } from '../store/journal';
import { errorMessage } from '../../src-shared/errors';
import { programKey } from '../../src-shared/identity';

/** What the pipeline needs of the actuator: the real Actuator's public surface. */
export type ActuatorSurface = Pick<Actuator, 'apply' | 'undo' | 'checkExternal' | 'listChanges' | 'restoreAll'>;

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
        const result: IntentResult = ok || first.kind === 'applied'
          ? { decisionId: d.id, at: stamp, status: 'applied' }
          : { decisionId: d.id, at: stamp, status: statusOfRefusal(first.reason), message: `undo: ${first.message}`.slice(0, 1024) };
        return { decision: d, result, changes };
      }
      // A process whose whole session is lowered needs no cgroup weight of its own to rank against
      // other sessions (and moving every short-lived compiler into a cgroup costs the build dearly).
      const intents = options.intents?.crossSessionWeight && engine.inLoweredSession(d.target.pid) ? { ...options.intents, crossSessionWeight: false } : options.intents;
      const mapping = intentToChanges(d.change, intents);
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
      return { decision: d, result: { decisionId: d.id, at: stamp, status: 'failed', message: `internal error: ${errorMessage(error)}`.slice(0, 1024) } };
    }
  }

  async function executeAll(decisions: readonly Decision[], actor: 'engine' | 'system'): Promise<{ reported: ReportedDecision[]; events: EngineEvent[] }> {
    const reported: ReportedDecision[] = [];
    const results: IntentResult[] = [];
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
      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        const c = engine.classification(p.pid);
        if (c && c.policy.ruleIds.length > 0) keep.add(programKey(p));
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
