// Feedback loop: after a restraint is applied, compare the protected processes' run-queue wait and
// CPU, and PSI cpu some avg10, over `baselineMs` before against `measureMs` after. Verdict helped /
// no-effect / hurt with the numbers; restraints that did not help are reverted and the program's
// confidence (used by the balancer and planner) goes down; helpful ones raise it. Confidence drifts
// back towards 1 over `confidenceRecoveryMs`, so one bad day is not a life sentence. Pure.
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
  for (const p of sample.processes) {
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
}

export const DEFAULT_FEEDBACK_OPTIONS: FeedbackOptions = {
  baselineMs: 5_000,
  measureMs: 10_000,
  minRelativeChange: 0.15,
  minWaitChangeMsPerSec: 1,
  minPsiChange: 2,
  confidenceRecoveryMs: 3_600_000,
};

interface Trial {
  decision: Decision;
  appliedAt: number;
  baseline: ProtectionMetrics[];
  after: ProtectionMetrics[];
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
  const history: ProtectionMetrics[] = [];
  const trials = new Map<string, Trial>();
  const conf = new Map<string, { value: number; at: number }>();
  const effects = new Map<string, Effect>();

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
      const baseline = history.filter((m) => m.at <= at && at - m.at < o.baselineMs + 1);
      trials.set(decision.id, { decision, appliedAt: at, baseline, after: [] });
    },
    tick(sample, classes, ledger, sink) {
      const m = protectionMetrics(sample, classes);
      history.push(m);
      while (history.length && sample.at - history[0]!.at > o.baselineMs + o.measureMs) history.shift();
      const out: Effect[] = [];
      for (const [id, trial] of trials) {
        if (sample.at > trial.appliedAt) trial.after.push(m);
        if (sample.at - trial.appliedAt < o.measureMs) continue;
        trials.delete(id);
        const { verdict, numbers } = judgeEffect(trial.baseline, trial.after, o);
        const programId = trial.decision.target.programId;
        const key = processKey(trial.decision.target);
        const r = ledger.get(key);
        let reverted = false;
        if (verdict === 'helped') setConfidence(programId, sample.at, (c) => c + 0.25 * (1 - c));
        else if (verdict === 'no-effect') setConfidence(programId, sample.at, (c) => c * 0.7);
        else if (verdict === 'hurt') setConfidence(programId, sample.at, (c) => c * 0.5);
        // Revert the whole restraint (all its steps) if it still stands since this decision.
        if ((verdict === 'no-effect' || verdict === 'hurt') && r && r.since <= trial.decision.at) {
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
