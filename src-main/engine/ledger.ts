// The restraint ledger: one shared record of every process the engine has lowered (by whom, from
// which original value, since when), so the balancer, planner, tenants and feedback never fight
// over a process, and every restraint can be restored to its original value. Also holds the
// deterministic decision factory and the global action rate limit. Pure.
//
// One decision per process and field per tick: the DecisionSink records which source claimed each
// (process, field) this tick (a tier claims nice and I/O priority). A later decision on a claimed
// field is refused (kept in `sink.refused` for inspection) and the ledger is left untouched, so two
// conflicting decisions (a rule's tier and a planner step, a feedback revert and a new restraint)
// can never leave one tick. The engine runs its stages in precedence order (safety restores, rules,
// launches, feedback, tenants, balancer, planner), so the first claim is the strongest one.
//
// Depth. A restraint is a stack of layers, one per decision (`layers`: the nice before it and how
// many steps it took; a planner may take more than one step at once). Any restraining
// stage may deepen a restraint another stage started (the balancer or planner escalating a planner's
// launch-time step, under its own rate limits); the stage that took the latest step owns the
// restraint (its restore logic applies). `stepBack` undoes only the latest step (feedback: a deeper
// step that did not help) and caps the depth for a while (`ProcessMemo.depthCap`) so the same step
// is not retried at once.
import type { ProcessSample } from '../../src-shared/domain';
import type { Intent, Decision, DecisionSource, DecisionTarget, Mode } from '../../src-shared/engine';
import { processKey, targetOf, type KeySet } from './common';

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
  /** One entry per restraining decision, oldest first: the nice before it, and its steps. */
  layers: { niceBefore: number; steps: number }[];
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
  /** A deeper step did not help: no restraint of this process goes beyond `steps` steps until `until`. */
  depthCap?: { steps: number; until: number };
}

export type DecisionDraft = Omit<Decision, 'id' | 'at' | 'apply'>;

/** A process attribute one decision sets. */
export type ChangeField = 'nice' | 'sessionNice' | 'ioPriority' | 'affinity' | 'cpuCap' | 'memoryLimit';

/** The fields a change sets (a tier is a nice value plus an I/O priority). */
export function fieldsOf(change: Intent): ChangeField[] {
  switch (change.op) {
    case 'nice':
      return ['nice'];
    case 'tier':
      return ['nice', 'ioPriority'];
    default:
      return [change.op];
  }
}

/** Collects a tick's decisions, gives them deterministic ids, and allows one decision per process and field. */
export class DecisionSink {
  readonly decisions: Decision[] = [];
  /** Decisions refused because another source had already decided that process and field this tick. */
  readonly refused: { draft: DecisionDraft; heldBy: DecisionSource; field: ChangeField }[] = [];
  private readonly claims = new Map<string, DecisionSource>();
  constructor(
    readonly at: number,
    readonly mode: Mode,
    private readonly nextSeq: () => number,
  ) {}

  /** Which source already decided this process's field in this tick, if any. */
  claimedBy(key: string, field: ChangeField): DecisionSource | undefined {
    return this.claims.get(`${key}|${field}`);
  }

  /**
   * Add a decision. `applyOverride`: undoing something already applied is applied whatever the mode.
   * Returns undefined (and records the refusal) when a field it sets was already decided this tick.
   */
  decide(draft: DecisionDraft, applyOverride?: boolean): Decision | undefined {
    const key = processKey(draft.target);
    const fields = fieldsOf(draft.change);
    for (const field of fields) {
      const heldBy = this.claimedBy(key, field);
      if (heldBy !== undefined) {
        this.refused.push({ draft, heldBy, field });
        return undefined;
      }
    }
    for (const field of fields) this.claims.set(`${key}|${field}`, draft.source);
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

  /** Most steps a restraint of this process may have now (depth cap after a useless deeper step). */
  maxStepsFor(key: string, at: number, maxSteps: number): number {
    const cap = this.memo.get(key)?.depthCap;
    return cap && at < cap.until ? Math.min(maxSteps, cap.steps) : maxSteps;
  }

  /** True if fewer than `max` actions happened in the last `windowMs`. */
  canAct(at: number, max: number, windowMs: number): boolean {
    this.actionTimes = this.actionTimes.filter((t) => at - t < windowMs);
    return this.actionTimes.length < max;
  }

  /** Count an action taken outside the ledger (a session restraint) against the global rate limit. */
  noteAction(at: number): void {
    this.actionTimes.push(at);
  }

  /**
   * Lower a process to `nice` (`steps` steps, default one; repeated steps keep the first original value). Returns
   * undefined, changing nothing, when its nice was already decided this tick (see DecisionSink).
   */
  restrain(
    sink: DecisionSink,
    p: ProcessSample,
    source: RestraintSource,
    nice: number,
    why: { reason: string; numbers: Record<string, number>; expectedEffect: string },
    steps = 1,
  ): Decision | undefined {
    const key = processKey(p);
    const prev = this.restraints.get(key);
    const originalNice = prev ? prev.originalNice : p.nice;
    const change: Intent = { op: 'nice', value: nice };
    const undo: Intent = { op: 'nice', value: originalNice };
    const d = sink.decide({ target: targetOf(p), change, undo, source, ...why, numbers: { ...why.numbers, niceBefore: p.nice, niceAfter: nice, originalNice } });
    if (!d) return undefined;
    this.restraints.set(key, {
      key,
      target: targetOf(p),
      source,
      decisionId: d.id,
      originalNice,
      appliedNice: nice,
      steps: (prev?.steps ?? 0) + steps,
      layers: [...(prev?.layers ?? []), { niceBefore: p.nice, steps }],
      since: prev?.since ?? sink.at,
      lastActionAt: sink.at,
      status: sink.mode === 'auto' ? 'pending' : 'advised',
    });
    this.memoOf(key).lastActionAt = sink.at;
    this.actionTimes.push(sink.at);
    return d;
  }

  /** Put a restrained process back to its original value (undefined, changing nothing, if its nice was already decided this tick). */
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
    if (!d) return undefined;
    this.restraints.delete(key);
    const memo = this.memoOf(key);
    memo.restrainedTotalMs += sink.at - r.since;
    if (countAsCycle) memo.restoreCount++;
    memo.lastActionAt = sink.at;
    this.actionTimes.push(sink.at);
    return d;
  }

  /**
   * Undo only the latest step of a multi-step restraint (back to the nice before it), as a new
   * decision (not a `revertOf`: the restraint stays in force), and cap its depth until `capUntil`.
   * Undefined, changing nothing, if the restraint has one step or its nice was already decided this tick.
   */
  stepBack(
    sink: DecisionSink,
    key: string,
    source: DecisionSource,
    capUntil: number,
    why: { reason: string; numbers: Record<string, number>; expectedEffect: string },
  ): Decision | undefined {
    const r = this.restraints.get(key);
    if (!r || r.layers.length < 2) return undefined;
    const last = r.layers[r.layers.length - 1]!;
    const nice = last.niceBefore;
    const d = sink.decide({
      target: r.target,
      change: { op: 'nice', value: nice },
      undo: { op: 'nice', value: r.originalNice },
      source,
      ...why,
      numbers: { ...why.numbers, niceBefore: r.appliedNice, niceAfter: nice, originalNice: r.originalNice, stepBack: 1 },
    }, r.status !== 'advised');
    if (!d) return undefined;
    r.layers = r.layers.slice(0, -1);
    r.steps -= last.steps;
    r.appliedNice = nice;
    r.decisionId = d.id;
    r.lastActionAt = sink.at;
    if (r.status === 'applied') r.status = 'pending';
    const memo = this.memoOf(key);
    memo.depthCap = { steps: r.steps, until: capUntil };
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
  prune(liveKeys: KeySet): void {
    for (const key of this.restraints.keys()) if (!liveKeys.has(key)) this.restraints.delete(key);
    for (const key of this.memo.keys()) if (!liveKeys.has(key)) this.memo.delete(key);
  }

  findByDecision(decisionId: string): Restraint | undefined {
    for (const r of this.restraints.values()) if (r.decisionId === decisionId) return r;
    return undefined;
  }
}
