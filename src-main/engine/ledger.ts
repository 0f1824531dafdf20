// The restraint ledger: one shared record of every process the engine has lowered (by whom, from
// which original value, since when), so the balancer, planner, tenants and feedback never fight
// over a process, and every restraint can be restored to its original value. Also holds the
// deterministic decision factory and the global action rate limit. Pure.
import type { ProcessSample } from '../../src-shared/domain';
import type { Change, Decision, DecisionSource, DecisionTarget, Mode } from '../../src-shared/engine';
import { processKey, targetOf } from './common';

export type RestraintSource = Extract<DecisionSource, 'balancer' | 'planner' | 'tenant'>;

export interface Restraint {
  key: string;
  target: DecisionTarget;
  source: RestraintSource;
  /** The latest decision that changed this process (restores name it in revertOf). */
  decisionId: string;
  originalNice: number;
  appliedNice: number;
  steps: number;
  /** When the first step was taken. */
  since: number;
  lastActionAt: number;
  /** pending: sent, no result yet; applied: confirmed; advised: Advise mode, nothing applied. */
  status: 'pending' | 'applied' | 'advised';
}

export interface ProcessMemo {
  /** Times this process was restored after a restraint: the hold time doubles each time. */
  restoreCount: number;
  /** Total time this process has spent restrained, over all cycles. */
  restrainedTotalMs: number;
  lastActionAt?: number;
  /** Someone else changed the process, or an action failed: leave it alone until then. */
  backoffUntil?: number;
}

export type DecisionDraft = Omit<Decision, 'id' | 'at' | 'apply'>;

/** Collects a tick's decisions and gives them deterministic ids. */
export class DecisionSink {
  readonly decisions: Decision[] = [];
  constructor(
    readonly at: number,
    readonly mode: Mode,
    private readonly nextSeq: () => number,
  ) {}
  /** `applyOverride`: undoing something already applied is applied whatever the mode. */
  decide(draft: DecisionDraft, applyOverride?: boolean): Decision {
    const d: Decision = { ...draft, id: `${draft.source}-${this.at}-${this.nextSeq()}`, at: this.at, apply: applyOverride ?? this.mode === 'auto' };
    this.decisions.push(d);
    return d;
  }
}

export class Ledger {
  readonly restraints = new Map<string, Restraint>();
  readonly memo = new Map<string, ProcessMemo>();
  /** Times of restraint/restore actions, for the global rate limit. */
  private actionTimes: number[] = [];

  get(key: string): Restraint | undefined {
    return this.restraints.get(key);
  }

  memoOf(key: string): ProcessMemo {
    let m = this.memo.get(key);
    if (!m) {
      m = { restoreCount: 0, restrainedTotalMs: 0 };
      this.memo.set(key, m);
    }
    return m;
  }

  backedOff(key: string, at: number): boolean {
    const until = this.memo.get(key)?.backoffUntil;
    return until !== undefined && at < until;
  }

  /** True if fewer than `max` actions happened in the last `windowMs`. */
  canAct(at: number, max: number, windowMs: number): boolean {
    this.actionTimes = this.actionTimes.filter((t) => at - t < windowMs);
    return this.actionTimes.length < max;
  }

  /** Lower a process to `nice` (one step; repeated steps keep the first original value). */
  restrain(
    sink: DecisionSink,
    p: ProcessSample,
    source: RestraintSource,
    nice: number,
    why: { reason: string; numbers: Record<string, number>; expectedEffect: string },
  ): Decision {
    const key = processKey(p);
    const prev = this.restraints.get(key);
    const originalNice = prev ? prev.originalNice : p.nice;
    const change: Change = { op: 'nice', value: nice };
    const undo: Change = { op: 'nice', value: originalNice };
    const d = sink.decide({ target: targetOf(p), change, undo, source, ...why, numbers: { ...why.numbers, niceBefore: p.nice, niceAfter: nice, originalNice } });
    this.restraints.set(key, {
      key,
      target: targetOf(p),
      source,
      decisionId: d.id,
      originalNice,
      appliedNice: nice,
      steps: (prev?.steps ?? 0) + 1,
      since: prev?.since ?? sink.at,
      lastActionAt: sink.at,
      status: sink.mode === 'auto' ? 'pending' : 'advised',
    });
    this.memoOf(key).lastActionAt = sink.at;
    this.actionTimes.push(sink.at);
    return d;
  }

  /** Put a restrained process back to its original value. */
  restore(
    sink: DecisionSink,
    key: string,
    source: DecisionSource,
    why: { reason: string; numbers: Record<string, number>; expectedEffect: string },
    countAsCycle = true,
  ): Decision | undefined {
    const r = this.restraints.get(key);
    if (!r) return undefined;
    const d = sink.decide({
      target: r.target,
      change: { op: 'nice', value: r.originalNice },
      undo: { op: 'nice', value: r.appliedNice },
      source,
      revertOf: r.decisionId,
      ...why,
      numbers: { ...why.numbers, niceBefore: r.appliedNice, niceAfter: r.originalNice, restrainedMs: sink.at - r.since },
    }, r.status !== 'advised');
    this.restraints.delete(key);
    const memo = this.memoOf(key);
    memo.restrainedTotalMs += sink.at - r.since;
    if (countAsCycle) memo.restoreCount++;
    memo.lastActionAt = sink.at;
    this.actionTimes.push(sink.at);
    return d;
  }

  /** Forget a restraint without a decision (process gone, or someone else changed it). */
  forget(key: string, at: number): void {
    const r = this.restraints.get(key);
    if (r) this.memoOf(key).restrainedTotalMs += at - r.since;
    this.restraints.delete(key);
  }

  /** Drop memos of processes that no longer exist. */
  prune(liveKeys: ReadonlySet<string>): void {
    for (const key of this.restraints.keys()) if (!liveKeys.has(key)) this.restraints.delete(key);
    for (const key of this.memo.keys()) if (!liveKeys.has(key)) this.memo.delete(key);
  }

  findByDecision(decisionId: string): Restraint | undefined {
    for (const r of this.restraints.values()) if (r.decisionId === decisionId) return r;
    return undefined;
  }
}
