// Feedback loop: after a restraint is applied, compare the protected processes' run-queue wait and
// CPU, and PSI cpu some avg10, "before" against `measureMs` after. Verdict helped / no-effect / hurt
// with the numbers; restraints that did not help are reverted and the program's confidence (used by
// the balancer and planner) goes down; helpful ones raise it. Confidence drifts back towards 1 over
// `confidenceRecoveryMs`, so one bad day is not a life sentence. Pure.
//
// The baseline. "Before" must show the contention the action was taken against, without the
// action; a window in which the restrained process was not running shows neither, and comparing
// against it makes every restraint look useless (a restraint taken when a known hog starts has only
// a pre-hog "before", so it was always reverted as "no effect"). So, per trial:
// - observed: the samples of the last `baselineMs` (up to the action) in which the restrained
//   process was busy (≥ `activeCpuPercent` of a core). A reactive restraint (balancer, tenants) has
//   these: it was taken because the process was busy.
// - predicted: none of those, but the decision carries the counterfactual its maker predicted
//   (`numbers.predictedProtectedWaitMsPerSec`: the protected programs' mean run-queue wait had it
//   not acted, from the planner's weighted-share model fed with the programs' profiles). Launch-time
//   and forecast-driven restraints are taken before any contention, so this is the only "before"
//   that exists; the measured wait after must beat the prediction by the usual margin to count as
//   help, and a prediction of no contention (below `minWaitChangeMsPerSec`), or of no saving from
//   the action (`predictedProtectedWaitAfterMsPerSec` within that of the prediction), gives "unknown".
// - none: neither; the verdict is "unknown" and the restraint is kept (nothing says it is useless).
// "unknown" neither reverts nor changes confidence.
//
// Deeper steps. A restraint may be deepened (nice 5, then 10; possibly by another stage than the one
// that started it). Each step is its own trial, and its "before" is only what was measured after the
// previous step took effect (samples after that step was applied): a window mixing samples from
// before the first step would credit the deeper step with the first step's help. A deeper step that
// did not help is stepped back alone (Ledger.stepBack: back to the previous nice, depth capped for
// `depthCapMs`; confidence goes down as for any useless action); a first step that did not help
// reverts the whole restraint, as before.
//
// Sessions (Linux sched_autogroup_enabled=1). Nice only ranks threads inside one autogroup
// (session); a restrained process in another session than the protected program keeps its session's
// share, so the protected program's wait does not change and the verdict is "no-effect": reverting
// such a nice-only restraint is the intended behaviour, not a misjudgement (the balancer-only bench
// shows it: nice 5, nice 10, then all reverted). The lever that works across sessions is the cgroup
// CPU weight the core adds to a lowering nice (engine/intents.ts `crossSessionWeight`); the decision is
// the same nice intent, so the same trial judges it, and with the weight the measured wait does
// fall and the restraint is kept. Where the weight could not be set (no delegated cgroup) the result
// still says applied (the nice was set) and the trial judges what actually happened.
import type { Sample } from '../../src-shared/domain';
import type { Decision, Effect } from '../../src-shared/engine';
import { processKey, round } from './common';
import type { Classification } from './classify';
import type { DecisionSink, Ledger } from './ledger';

export interface ProtectionMetrics {
  at: number;
  protectedCount: number;
  /** Mean run-queue wait of protected processes, ms per s; undefined when not measurable. */
  protectedWaitMsPerSec?: number;
  /** Total CPU of protected processes, % of one core. */
  protectedCpuPercent: number;
  psiCpuSomeAvg10?: number;
}

export function protectionMetrics(sample: Sample, classes: ReadonlyMap<string, Classification>): ProtectionMetrics {
  let count = 0;
  let waitSum = 0;
  let waitN = 0;
  let cpu = 0;
  for (let i = 0; i < sample.processes.length; i++) {
    const p = sample.processes[i]!;
    const c = classes.get(processKey(p));
    if (!c?.protected) continue;
    count++;
    cpu += p.cpuPercent;
    if (p.runQueueWaitMsPerSec !== undefined) {
      waitSum += p.runQueueWaitMsPerSec;
      waitN++;
    }
  }
  const psi = sample.system.psi?.cpu?.someAvg10;
  return {
    at: sample.at,
    protectedCount: count,
    ...(waitN ? { protectedWaitMsPerSec: waitSum / waitN } : {}),
    protectedCpuPercent: cpu,
    ...(psi !== undefined ? { psiCpuSomeAvg10: psi } : {}),
  };
}

export interface FeedbackOptions {
  baselineMs: number;
  measureMs: number;
  /** Relative improvement that counts as "helped" (0.15 = 15 %). */
  minRelativeChange: number;
  /** Absolute floor for run-queue wait changes, ms/s. */
  minWaitChangeMsPerSec: number;
  /** Absolute floor for PSI changes, percentage points. */
  minPsiChange: number;
  confidenceRecoveryMs: number;
  /** A process counts as running (its contention is in a sample) at this CPU, % of one core. */
  activeCpuPercent: number;
  /** After a deeper step is stepped back, no restraint of that process goes that deep for this long. */
  depthCapMs: number;
}

export const DEFAULT_FEEDBACK_OPTIONS: FeedbackOptions = {
  baselineMs: 5_000,
  measureMs: 10_000,
  minRelativeChange: 0.15,
  minWaitChangeMsPerSec: 1,
  minPsiChange: 2,
  confidenceRecoveryMs: 3_600_000,
  activeCpuPercent: 5,
  depthCapMs: 120_000,
};

export type BaselineKind = 'observed' | 'predicted' | 'none';

interface Trial {
  decision: Decision;
  appliedAt: number;
  baselineKind: BaselineKind;
  baseline: ProtectionMetrics[];
  after: ProtectionMetrics[];
}

interface HistoryEntry {
  m: ProtectionMetrics;
  /** Keys of processes at or above activeCpuPercent in this sample. */
  busy: Set<string>;
}

/** A restraint step that deepens an earlier one (its nice before was already above the original). */
export function isDeeperStep(decision: Decision): boolean {
  const before = decision.numbers.niceBefore;
  const original = decision.numbers.originalNice;
  return before !== undefined && original !== undefined && before > original;
}

/**
 * The "before" of a trial (see the header). `previousStepAt`: when the previous step of the same
 * restraint was applied; only later samples count for a deeper step. Exported for tests.
 */
export function chooseBaseline(
  decision: Decision,
  at: number,
  history: readonly { m: ProtectionMetrics; busy: ReadonlySet<string> }[],
  o: FeedbackOptions,
  previousStepAt?: number,
): { kind: BaselineKind; baseline: ProtectionMetrics[] } {
  const key = processKey(decision.target);
  const after = isDeeperStep(decision) && previousStepAt !== undefined ? previousStepAt : -Infinity;
  const observed = history.filter((h) => h.m.at <= at && h.m.at > after && at - h.m.at < o.baselineMs + 1 && h.busy.has(key)).map((h) => h.m);
  if (isDeeperStep(decision) && previousStepAt !== undefined) return observed.length ? { kind: 'observed', baseline: observed } : { kind: 'none', baseline: [] };
  if (observed.length) return { kind: 'observed', baseline: observed };
  const predicted = decision.numbers.predictedProtectedWaitMsPerSec;
  if (predicted !== undefined && Number.isFinite(predicted)) {
    const last = [...history].reverse().find((h) => h.m.at <= at)?.m;
    return { kind: 'predicted', baseline: [{ at, protectedCount: last?.protectedCount ?? 0, protectedWaitMsPerSec: predicted, protectedCpuPercent: last?.protectedCpuPercent ?? 0 }] };
  }
  return { kind: 'none', baseline: [] };
}

function mean(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
}

/** Judge before/after figures. Exported for tests. */
export function judgeEffect(before: ProtectionMetrics[], after: ProtectionMetrics[], o: FeedbackOptions): { verdict: Effect['verdict']; numbers: Record<string, number> } {
  const w0 = mean(before.map((m) => m.protectedWaitMsPerSec));
  const w1 = mean(after.map((m) => m.protectedWaitMsPerSec));
  const c0 = mean(before.map((m) => m.protectedCpuPercent)) ?? 0;
  const c1 = mean(after.map((m) => m.protectedCpuPercent)) ?? 0;
  const s0 = mean(before.map((m) => m.psiCpuSomeAvg10));
  const s1 = mean(after.map((m) => m.psiCpuSomeAvg10));
  const numbers: Record<string, number> = { protectedCpuPercentBefore: round(c0), protectedCpuPercentAfter: round(c1) };
  if (w0 !== undefined) numbers.protectedWaitMsPerSecBefore = round(w0);
  if (w1 !== undefined) numbers.protectedWaitMsPerSecAfter = round(w1);
  if (s0 !== undefined) numbers.psiCpuSomeAvg10Before = round(s0);
  if (s1 !== undefined) numbers.psiCpuSomeAvg10After = round(s1);
  let better = 0;
  let worse = 0;
  let measured = 0;
  if (w0 !== undefined && w1 !== undefined) {
    measured++;
    const delta = w1 - w0;
    if (delta <= -Math.max(o.minWaitChangeMsPerSec, w0 * o.minRelativeChange)) better++;
    else if (delta >= Math.max(o.minWaitChangeMsPerSec, w0 * o.minRelativeChange)) worse++;
  }
  // PSI "some" counts every runnable task, the restrained ones too: a restraint that moves CPU from a
  // hog to a protected program leaves it high (and avg10 lags by ~10 s). Use it only when the protected
  // programs' own run-queue wait cannot be measured.
  if (s0 !== undefined && s1 !== undefined && (w0 === undefined || w1 === undefined)) {
    measured++;
    const delta = s1 - s0;
    if (delta <= -Math.max(o.minPsiChange, s0 * o.minRelativeChange)) better++;
    else if (delta >= Math.max(o.minPsiChange, s0 * o.minRelativeChange)) worse++;
  }
  if (c0 > 0 || c1 > 0) {
    // Protected programs getting more CPU counts as help only if they were asking for it (waiting).
    if (c1 - c0 >= Math.max(5, c0 * o.minRelativeChange) && (w0 ?? 0) > 0) better++;
  }
  if (measured === 0) return { verdict: 'unknown', numbers };
  const verdict = better > worse ? 'helped' : worse > better ? 'hurt' : 'no-effect';
  return { verdict, numbers };
}

function judgeTrial(trial: Trial, o: FeedbackOptions): { verdict: Effect['verdict']; numbers: Record<string, number> } {
  if (trial.baselineKind === 'none') return { verdict: 'unknown', numbers: {} };
  if (trial.baselineKind === 'predicted') {
    const predicted = trial.baseline[0]?.protectedWaitMsPerSec ?? 0;
    // Keep the CPU criterion neutral: the prediction says nothing about the protected programs' CPU.
    const c1 = mean(trial.after.map((m) => m.protectedCpuPercent)) ?? 0;
    const before = trial.baseline.map((m) => ({ ...m, protectedCpuPercent: c1 }));
    const r = judgeEffect(before, trial.after, o);
    if (predicted < o.minWaitChangeMsPerSec) return { verdict: 'unknown', numbers: r.numbers };
    // The model itself predicted (next to) no saving from this action (e.g. a nice on another
    // session): whatever the wait after, it is not evidence about the action.
    const predictedAfter = trial.decision.numbers.predictedProtectedWaitAfterMsPerSec;
    if (predictedAfter !== undefined && Number.isFinite(predictedAfter) && predicted - predictedAfter < o.minWaitChangeMsPerSec) return { verdict: 'unknown', numbers: r.numbers };
    return r;
  }
  return judgeEffect(trial.baseline, trial.after, o);
}

export interface Feedback {
  /** Record this tick's metrics; judge trials that are due; revert the useless ones. */
  tick(sample: Sample, classes: ReadonlyMap<string, Classification>, ledger: Ledger, sink: DecisionSink): Effect[];
  /** An action was applied at `at`: start measuring it (restraints only). */
  applied(decision: Decision, at: number): void;
  confidence(programId: string, at: number): number;
  readonly effects: ReadonlyMap<string, Effect>;
}

export function createFeedback(options: Partial<FeedbackOptions> = {}): Feedback {
  const o = { ...DEFAULT_FEEDBACK_OPTIONS, ...options };
  const history: HistoryEntry[] = [];
  const trials = new Map<string, Trial>();
  const conf = new Map<string, { value: number; at: number }>();
  const effects = new Map<string, Effect>();
  /** Process key -> when its latest restraint step was applied. */
  const stepAppliedAt = new Map<string, number>();

  const confidenceAt = (programId: string, at: number): number => {
    const c = conf.get(programId);
    if (!c) return 1;
    const decay = Math.exp(-Math.max(0, at - c.at) / o.confidenceRecoveryMs);
    return 1 - (1 - c.value) * decay;
  };
  const setConfidence = (programId: string, at: number, f: (c: number) => number) => {
    conf.set(programId, { value: Math.min(1, Math.max(0, f(confidenceAt(programId, at)))), at });
  };

  return {
    effects,
    confidence: confidenceAt,
    applied(decision, at) {
      if (decision.revertOf !== undefined || decision.change.op !== 'nice') return;
      if (decision.source !== 'balancer' && decision.source !== 'planner' && decision.source !== 'tenant') return;
      const key = processKey(decision.target);
      const { kind, baseline } = chooseBaseline(decision, at, history, o, stepAppliedAt.get(key));
      stepAppliedAt.set(key, at);
      trials.set(decision.id, { decision, appliedAt: at, baselineKind: kind, baseline, after: [] });
    },
    tick(sample, classes, ledger, sink) {
      const m = protectionMetrics(sample, classes);
      const busy = new Set<string>();
      for (const p of sample.processes) if (p.cpuPercent >= o.activeCpuPercent) busy.add(processKey(p));
      history.push({ m, busy });
      // `classes` holds every process of this tick.
      for (const k of stepAppliedAt.keys()) if (!classes.has(k)) stepAppliedAt.delete(k);
      while (history.length && sample.at - history[0]!.m.at > o.baselineMs + o.measureMs) history.shift();
      const out: Effect[] = [];
      for (const [id, trial] of trials) {
        if (sample.at > trial.appliedAt) trial.after.push(m);
        if (sample.at - trial.appliedAt < o.measureMs) continue;
        trials.delete(id);
        const judged = judgeTrial(trial, o);
        const { verdict } = judged;
        const numbers: Record<string, number> = { ...judged.numbers, ...(trial.baselineKind === 'predicted' ? { baselinePredicted: 1 } : {}) };
        const programId = trial.decision.target.programId;
        const key = processKey(trial.decision.target);
        const r = ledger.get(key);
        let reverted = false;
        const deeper = isDeeperStep(trial.decision);
        const niceAfter = trial.decision.change.op === 'nice' ? trial.decision.change.value : undefined;
        if (verdict === 'helped') setConfidence(programId, sample.at, (c) => c + 0.25 * (1 - c));
        else if (verdict === 'no-effect') setConfidence(programId, sample.at, (c) => c * 0.7);
        else if (verdict === 'hurt') setConfidence(programId, sample.at, (c) => c * 0.5);
        const useless = verdict === 'no-effect' || verdict === 'hurt';
        if (useless && deeper && r && r.since <= trial.decision.at) {
          // Only this step goes, and only while the restraint is still at it (a later step has its own trial).
          if (r.appliedNice === niceAfter) {
            reverted =
              ledger.stepBack(sink, key, 'feedback', sample.at + o.depthCapMs, {
                reason: `Lowering ${trial.decision.target.name} further (nice ${trial.decision.numbers.niceBefore} -> ${niceAfter}) did not help (${verdict}): the protected programs' wait went from ${numbers.protectedWaitMsPerSecBefore ?? 'n/a'} to ${numbers.protectedWaitMsPerSecAfter ?? 'n/a'} ms/s. Going back one step; the earlier restraint stays.`,
                numbers: { ...numbers, confidence: round(confidenceAt(programId, sample.at), 3) },
                expectedEffect: `${trial.decision.target.name} goes back to nice ${trial.decision.numbers.niceBefore}; it is not lowered that far again for ${round(o.depthCapMs / 1000, 0)} s.`,
              }) !== undefined;
          }
        } else if (useless && r && r.since <= trial.decision.at) {
          // Revert the whole restraint (all its steps) if it still stands since this decision.
          ledger.restore(sink, key, 'feedback', {
            reason: `Lowering ${trial.decision.target.name} did not help (${verdict}): the protected programs' wait went from ${numbers.protectedWaitMsPerSecBefore ?? 'n/a'} to ${numbers.protectedWaitMsPerSecAfter ?? 'n/a'} ms/s. Reverting.`,
            numbers: { ...numbers, confidence: round(confidenceAt(programId, sample.at), 3) },
            expectedEffect: `${trial.decision.target.name} gets its CPU share back; Allot trusts restraining it less.`,
          });
          reverted = true;
        }
        const effect: Effect = { decisionId: id, at: sample.at, verdict, numbers, reverted };
        effects.set(id, effect);
        if (effects.size > 1000) effects.delete(effects.keys().next().value!);
        out.push(effect);
      }
      return out;
    },
  };
}
