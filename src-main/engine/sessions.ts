// Act where the load lives: the session. With Linux autogroups (sched_autogroup_enabled=1) the
// scheduler first shares CPU between sessions, weighted by each session's nice, and only then
// between the processes of one session. A build started from a terminal, a job started with setsid,
// a build server's worker: each is one session of background processes whose members come and go
// every second (every compile is a new gcc, cc1 and as). Per-process actions cannot keep up with it;
// lowering the session's nice restrains all of it, including what it starts later, in one decision.
// By hand, on issue 12's build benchmark, session nice 19 on the build's sessions took the probe's
// p99 from 3.7x to 1.13x unloaded. It is also the engine's one priority lever an ordinary user can
// undo: a session nice of 0 or above may be written back without privileges (reversible.linux.ts).
//
// A session is lowered only when every member is background or batch work: none foreground,
// interactive, protected, system or excluded, and the session holds neither the foreground process,
// Allot, nor an ancestor of either. Then:
//   - at first sight, straight to the batch tier's nice, when a rule puts a member in tier batch and
//     that member is at work (CPU now, or started within two intervals: a compiler; an idle build
//     service such as an esbuild that waits for hours is not a build), contended or not: the rule
//     says what the session runs; acting a second later lets a build's first seconds through, and
//     the probe's p99 is made in those seconds; CFS is work conserving, so a lowered session still
//     uses every idle cycle;
//   - at once, to the same, when the machine is contended (system CPU >= systemCpuPercent), the
//     session uses >= processCpuPercent of a core and a member is batch work by its profile or its
//     own sustained behaviour (class batch);
//   - otherwise when the machine is contended and its members together use >= processCpuPercent of
//     a core for overForMs, by 2 x niceStep per step (0 -> 10 -> 19), at most maxSteps steps,
//     perProcessMinIntervalMs apart.
// A session's CPU is its members' CPU plus what the children of its top-level members (those whose
// parent is outside the session: its leader, as a rule) used and were reaped within the interval
// (childrenCpuPercent, Linux cutime + cstime): a build's compilers live a second each, so a sample
// sees few of them running; their CPU reaches the shell that waits for them. A child seen running
// before it exited may count twice (live, and again in its parent's total): an estimate for "is the
// session busy", never a bill.
// Restored (the journal's original value, through revertOf) at once when a member becomes
// foreground, interactive, protected or system, or the session comes to hold the foreground or
// Allot; and once the session's demand (CPU + run-queue wait of its members) has stayed below
// restoreBelowPercent for minRestrainedMs and it has been restrained for its hold time (doubling
// after each restore of the same session, as the balancer's). Someone else's value wins: a session
// nice that is neither the original nor Allot's means someone else set it; Allot backs off.
// The session is named by its autogroup id and acted on through its oldest member (its leader, as a
// rule: the shell or the job's first process). Limit: if that member exits while others stay in the
// session, the journal cannot reach the session through it any more (the record ends `gone`) and
// the rest keep the lowered session nice until they exit; in a terminal the leader's exit hangs up
// the session's jobs, so this is rare. Pure.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import { TIER_DEFAULTS, type DecisionTarget, type EngineEvent, type IntentResult } from '../../src-shared/engine';
import type { BalancerThresholds } from '../../src-shared/rules';
import { contentionOf, demandPercent, holdMs } from './balancer';
import type { Classification } from './classify';
import { processKey, round, targetOf } from './common';
import type { DecisionSink, Ledger } from './ledger';
import type { ProcessIndex } from './process-index';

export interface SessionRestraint {
  /** The session (Linux autogroup id). */
  autogroup: number;
  /** The member acted through (the oldest when first lowered). */
  target: DecisionTarget;
  key: string;
  /** The latest decision that changed this session (restores name it in revertOf). */
  decisionId: string;
  originalNice: number;
  appliedNice: number;
  steps: number;
  since: number;
  lastActionAt: number;
  /** Last tick its members' demand was at or above restoreBelowPercent. */
  lastBusyAt: number;
  status: 'pending' | 'applied' | 'advised';
}

export interface SessionContext {
  sample: Sample;
  classes: ReadonlyMap<string, Classification>;
  ledger: Ledger;
  sink: DecisionSink;
  thresholds: BalancerThresholds;
  index: ProcessIndex;
  /** False (the profile turns the balancer off): only restores happen. */
  enabled: boolean;
  foregroundPid?: number;
  selfPid?: number;
  /** How long to leave a session alone after someone else changed it or an action failed. */
  backoffMs: number;
}

export interface SessionRestrainer {
  tick(ctx: SessionContext): EngineEvent[];
  /** Put every lowered session back (leaving Auto, stopping); advised ones are forgotten. */
  restoreAll(sink: DecisionSink, why: (name: string) => string): void;
  /** A decision's result; true when the decision was one of the session restrainer's. */
  onResult(result: IntentResult, backoffMs: number): boolean;
  /** Is this session (autogroup) lowered now? The per-process stages leave its members alone. */
  restrains(autogroup: number | undefined): boolean;
  list(): SessionRestraint[];
}

interface Group {
  cpuPercent: number;
  demandPercent: number;
  members: number;
  oldest: ProcessSample;
  /** Why the session must not be lowered (a member that is foreground, interactive, ...). */
  sensitive?: string;
  /** A member known as batch work. */
  batch?: ProcessSample;
  /** A member a rule puts in tier batch. */
  ruleBatch?: ProcessSample;
}

const BATCH_NICE = TIER_DEFAULTS.batch.nice;

/**
 * A member a rule calls batch that is working (CPU now, its own or its reaped children's) or just
 * started (a new process shows 0 % at first sight): a build. An idle build service is not one.
 */
function ruleBatchAtWork(p: ProcessSample, c: Classification, sample: Sample): boolean {
  if (c.policy.tier !== 'batch' || c.untouchable) return false;
  return p.cpuPercent > 0 || (p.childrenCpuPercent ?? 0) > 0 || sample.at - p.startedAtMs <= 2 * sample.intervalMs;
}

export function createSessionRestrainer(): SessionRestrainer {
  const restraints = new Map<number, SessionRestraint>();
  /** autogroup -> time from which its members have been over the CPU threshold. */
  const overSince = new Map<number, number>();
  /** autogroup -> memo: restores so far (the hold doubles), back off until. */
  const memo = new Map<number, { restoreCount: number; backoffUntil?: number; lastSeenAt: number }>();
  const memoOf = (ag: number, at: number) => {
    let m = memo.get(ag);
    if (!m) memo.set(ag, (m = { restoreCount: 0, lastSeenAt: at }));
    return m;
  };

  function restore(sink: DecisionSink, r: SessionRestraint, reason: string, numbers: Record<string, number>, countAsCycle: boolean): boolean {
    const d = sink.decide({
      target: r.target,
      source: 'balancer',
      change: { op: 'sessionNice', value: r.originalNice },
      undo: { op: 'sessionNice', value: r.appliedNice },
      revertOf: r.decisionId,
      reason,
      numbers: { ...numbers, sessionNiceBefore: r.appliedNice, sessionNiceAfter: r.originalNice, restrainedMs: sink.at - r.since },
      expectedEffect: `Everything in ${r.target.name}'s session gets its normal share of the machine back.`,
    }, r.status !== 'advised');
    if (!d) return false;
    restraints.delete(r.autogroup);
    if (countAsCycle) memoOf(r.autogroup, sink.at).restoreCount++;
    return true;
  }

  return {
    restrains(autogroup) {
      return autogroup !== undefined && restraints.has(autogroup);
    },
    list() {
      return [...restraints.values()].map((r) => ({ ...r, target: { ...r.target } }));
    },
    onResult(result, backoffMs) {
      for (const r of restraints.values()) {
        if (r.decisionId !== result.decisionId) continue;
        if (result.status === 'applied') {
          if (r.status === 'pending') r.status = 'applied';
        } else {
          restraints.delete(r.autogroup);
          if (result.status !== 'gone') memoOf(r.autogroup, result.at).backoffUntil = result.at + backoffMs;
        }
        return true;
      }
      return false;
    },
    restoreAll(sink, why) {
      for (const r of [...restraints.values()]) {
        if (r.status === 'advised') restraints.delete(r.autogroup);
        else restore(sink, r, why(r.target.name), {}, false);
      }
    },
    tick(ctx) {
      const { sample, classes, ledger, sink, thresholds: t, index } = ctx;
      const at = sample.at;
      const events: EngineEvent[] = [];
      const systemBusy = sample.system.cpuPercent >= t.systemCpuPercent;
      const processes = sample.processes;
      // On a calm machine only two kinds of session need looking at: the lowered ones, and those with
      // a member a rule calls batch that is working or just started. Grouping every session each tick
      // would cost the idle desktop for nothing (1,000 processes in their own sessions, or an idle
      // build service such as esbuild that never leaves).
      let candidates: Set<number> | undefined;
      if (!systemBusy || !ctx.enabled) {
        if (!systemBusy) overSince.clear();
        candidates = new Set(restraints.keys());
        if (ctx.enabled) {
          let anyRuleBatch = false;
          for (const c of classes.values()) {
            if (c.policy.tier === 'batch' && !c.untouchable) {
              anyRuleBatch = true;
              break;
            }
          }
          for (let i = 0; anyRuleBatch && i < processes.length; i++) {
            const p = processes[i]!;
            if (p.autogroup === undefined || candidates.has(p.autogroup)) continue;
            const c = classes.get(processKey(p));
            if (c && ruleBatchAtWork(p, c, sample)) candidates.add(p.autogroup);
          }
        }
        if (candidates.size === 0) return events;
      }
      const considerNew = ctx.enabled;
      // The tick's sessions: every one on a contended machine, else the candidates.
      const groups = new Map<number, Group>();
      for (let i = 0; i < processes.length; i++) {
        const p = processes[i]!;
        const ag = p.autogroup;
        if (ag === undefined || (candidates !== undefined && !candidates.has(ag))) continue;
        let g = groups.get(ag);
        if (!g) groups.set(ag, (g = { cpuPercent: 0, demandPercent: 0, members: 0, oldest: p }));
        g.members++;
        const reaped = p.childrenCpuPercent !== undefined && p.childrenCpuPercent > 0 && index.byPid(p.ppid)?.autogroup !== ag ? p.childrenCpuPercent : 0;
        g.cpuPercent += p.cpuPercent + reaped;
        g.demandPercent += demandPercent(p) + reaped;
        if (p.startTime < g.oldest.startTime || (p.startTime === g.oldest.startTime && p.pid < g.oldest.pid)) g.oldest = p;
        if (g.sensitive !== undefined) continue;
        const c = classes.get(processKey(p));
        if (!c) continue;
        if (c.untouchable || c.protected || c.class === 'foreground' || c.class === 'interactive' || c.class === 'system') {
          g.sensitive = `${p.name} is ${c.class === 'background' || c.class === 'batch' ? 'protected' : c.class} (${c.reason})`;
        } else if (c.class === 'batch') {
          g.batch ??= p;
          if (ruleBatchAtWork(p, c, sample)) g.ruleBatch ??= p;
        }
      }
      // The sessions of the foreground process, Allot and their ancestors are never lowered.
      const shielded = new Map<number, string>();
      for (const [pid, who] of [[ctx.foregroundPid, 'the foreground program'], [ctx.selfPid, 'Allot']] as const) {
        let p = pid !== undefined ? index.byPid(pid) : undefined;
        for (let depth = 0; p && depth < 64; depth++) {
          if (p.autogroup !== undefined && !shielded.has(p.autogroup)) shielded.set(p.autogroup, depth === 0 ? `it holds ${who}` : `it holds ${p.name}, an ancestor of ${who}`);
          p = p.ppid > 1 ? index.byPid(p.ppid) : undefined;
        }
      }
      let contention: ReturnType<typeof contentionOf> | undefined;

      for (const r of [...restraints.values()]) {
        const g = groups.get(r.autogroup);
        if (!g) {
          // Every member exited: the kernel freed the session; nothing to put back.
          restraints.delete(r.autogroup);
          continue;
        }
        memoOf(r.autogroup, at).lastSeenAt = at;
        const rep = index.get(r.key);
        const observed = rep?.autogroupNice;
        if (r.status === 'applied' && observed !== undefined && observed !== r.appliedNice && observed !== r.originalNice) {
          restraints.delete(r.autogroup);
          memoOf(r.autogroup, at).backoffUntil = at + ctx.backoffMs;
          events.push({ type: 'backoff', at, target: r.target, message: `${r.target.name}'s session nice changed to ${observed} (Allot had set ${r.appliedNice}); someone else changed it, so Allot backs off.` });
          continue;
        }
        const why = g.sensitive ?? shielded.get(r.autogroup);
        if (why !== undefined) {
          restore(sink, r, `${r.target.name}'s session must not stay lowered: ${why}. Restoring the session at once.`, { members: g.members }, false);
          continue;
        }
        if (g.demandPercent >= t.restoreBelowPercent) r.lastBusyAt = at;
        const hold = holdMs(t, memoOf(r.autogroup, at).restoreCount);
        if (at - r.lastBusyAt >= t.minRestrainedMs && at - r.since >= hold && ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) {
          if (restore(sink, r, `${r.target.name}'s session has used less than ${t.restoreBelowPercent}% of a core (CPU + run-queue wait of its ${g.members} processes) for ${round((at - r.lastBusyAt) / 1000, 1)} s: restoring the session.`, { demandPercent: round(g.demandPercent, 2), members: g.members, holdMs: hold }, true)) ledger.noteAction(at);
          continue;
        }
        if (!ctx.enabled || !systemBusy || r.status === 'advised' || r.appliedNice >= 19 || r.steps >= t.maxSteps) continue;
        if (g.cpuPercent < t.processCpuPercent || at - r.lastActionAt < t.perProcessMinIntervalMs) continue;
        if (!rep || !ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) continue;
        const nice = Math.min(19, r.appliedNice + 2 * t.niceStep);
        const d = sink.decide({
          target: r.target,
          source: 'balancer',
          change: { op: 'sessionNice', value: nice },
          undo: { op: 'sessionNice', value: r.originalNice },
          reason: `${r.target.name}'s session (${g.members} processes) still uses ${round(g.cpuPercent, 0)}% of a core while the machine is at ${round(sample.system.cpuPercent, 0)}%: lowering the session another step.`,
          numbers: { sessionCpuPercent: round(g.cpuPercent, 2), members: g.members, systemCpuPercent: round(sample.system.cpuPercent, 2), sessionNiceBefore: r.appliedNice, sessionNiceAfter: nice, step: r.steps + 1 },
          expectedEffect: `Everything ${r.target.name}'s session runs, and starts from now on, yields more CPU to the programs in use.`,
        });
        if (!d) continue;
        Object.assign(r, { decisionId: d.id, appliedNice: nice, steps: r.steps + 1, lastActionAt: at, status: sink.mode === 'auto' ? 'pending' : 'advised' });
        ledger.noteAction(at);
      }

      if (considerNew) {
        for (const [ag, g] of groups) {
          if (restraints.has(ag)) continue;
          const over = systemBusy && g.sensitive === undefined && !shielded.has(ag) && g.cpuPercent >= t.processCpuPercent;
          if (!over) overSince.delete(ag);
          else if (!overSince.has(ag)) overSince.set(ag, at - sample.intervalMs);
          if (g.sensitive !== undefined || shielded.has(ag)) continue;
          const m = memo.get(ag);
          if (m) m.lastSeenAt = at;
          if (m?.backoffUntil !== undefined && at < m.backoffUntil) continue;
          const since = overSince.get(ag);
          const known = g.ruleBatch ?? (systemBusy && g.cpuPercent >= t.processCpuPercent ? g.batch : undefined);
          if (!known && (since === undefined || at - since < t.overForMs)) continue;
          const rep = g.oldest;
          const original = rep.autogroupNice ?? 0;
          const nice = known ? Math.max(original, BATCH_NICE) : Math.min(19, original + 2 * t.niceStep);
          if (nice <= original) continue;
          if (!ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) break;
          contention ??= contentionOf(sample, classes, t, { contentionPsiPercent: 20, contentionWaitMsPerSec: 10 });
          const d = sink.decide({
            target: targetOf(rep),
            source: 'balancer',
            change: { op: 'sessionNice', value: nice },
            undo: { op: 'sessionNice', value: original },
            reason: known
              ? `${known.name} is batch work (${classes.get(processKey(known))?.reason ?? 'batch'}): lowering its whole session (${g.members} processes, led by ${rep.name}) to session nice ${nice}, so everything it starts from now on yields too.`
              : `The session of ${rep.name} (${g.members} processes, all background work) has used ${round(g.cpuPercent, 0)}% of a core for ${round((at - since!) / 1000, 1)} s while the machine is at ${round(sample.system.cpuPercent, 0)}%: lowering the whole session one step.`,
            numbers: {
              sessionCpuPercent: round(g.cpuPercent, 2),
              members: g.members,
              systemCpuPercent: round(sample.system.cpuPercent, 2),
              sessionNiceBefore: original,
              sessionNiceAfter: nice,
              ...(contention.protectedWaitMsPerSec !== undefined ? { protectedWaitMsPerSec: round(contention.protectedWaitMsPerSec, 2) } : {}),
              ...(known ? { knownBatch: 1 } : { overForMs: at - since! }),
            },
            expectedEffect: `The programs in use get the CPU first; the session's work still uses every idle cycle (restored when it goes quiet).`,
          });
          if (!d) continue;
          restraints.set(ag, { autogroup: ag, target: targetOf(rep), key: processKey(rep), decisionId: d.id, originalNice: original, appliedNice: nice, steps: known ? Math.max(1, Math.round((nice - original) / (2 * t.niceStep))) : 1, since: at, lastActionAt: at, lastBusyAt: at, status: sink.mode === 'auto' ? 'pending' : 'advised' });
          memoOf(ag, at).lastSeenAt = at;
          overSince.delete(ag);
          ledger.noteAction(at);
        }
      }
      for (const ag of overSince.keys()) if (!groups.has(ag)) overSince.delete(ag);
      // A session not seen for an hour is gone (autogroup ids are never reused while the kernel runs).
      for (const [ag, m] of memo) if (at - m.lastSeenAt > 3_600_000 && !restraints.has(ag)) memo.delete(ag);
      return events;
    },
  };
}
