// Reactive balancer in the spirit of Process Lasso's ProBalance. When the whole machine is at or
// above `systemCpuPercent` (0-100 % of all cores) and a process that is not foreground, system or
// excluded uses at least `processCpuPercent` of ONE core (the unit of ProcessSample.cpuPercent;
// per-core so a single-threaded hog is caught on a 64-core machine too) for `overForMs`, it is
// lowered one step (nice + niceStep). It is restored to its original nice once its demand falls below
// `restoreBelowPercent` after being restrained at least `minRestrainedMs`, and the contention it was
// restrained for is over.
// Demand, not CPU: a restrained process gets less CPU *because* it is restrained (with several hogs
// in one session its siblings take its share), so its CPU alone says nothing about whether it still
// wants the CPU. Its demand is CPU + run-queue wait (time runnable but not running), and it is only
// restored when there is no contention left to protect from: machine CPU below `systemCpuPercent`,
// PSI cpu some avg10 below `contentionPsiPercent`, and the protected programs' mean run-queue wait
// below `contentionWaitMsPerSec` (the signals the sample has).
// Rules own the nice they set (a rule nice or tier): such processes are never balanced.
// Escalation: a process another stage already restrained (the planner's one step at launch) is
// deepened by the same rule as the balancer's own restraints (over the thresholds for `overForMs`,
// at least `perProcessMinIntervalMs` and `overForMs` since the last step, the global budget, at most
// `maxSteps` steps and the feedback loop's depth cap), and the balancer then owns the restraint (its
// restore rule applies). Tenant restraints are left to the tenant manager.
// Against oscillation: the 20 %/10 % gap, a per-process minimum interval, a global action budget,
// and a hold time that doubles each time the same process is restored (capped), so a square-wave
// load produces a logarithmic, not linear, number of actions. Never raises above the original.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { BalancerThresholds } from '../../src-shared/rules';
import { processKey, programKey, round } from './common';
import type { Classification } from './classify';
import type { DecisionSink, Ledger } from './ledger';
import { ruleOwnsNice } from './policy';

export interface BalancerContext {
  sample: Sample;
  classes: ReadonlyMap<string, Classification>;
  ledger: Ledger;
  sink: DecisionSink;
  thresholds: BalancerThresholds;
  /** Feedback confidence for a program (0..1); below `minConfidence` the balancer leaves it alone. */
  confidence: (programId: string) => number;
  /** Process keys of over-budget tenants' processes: considered first. */
  preferred?: ReadonlySet<string>;
  /** Processes not to restrain further (members of a session lowered as a whole); their restores still happen. */
  exclude?: (p: ProcessSample) => boolean;
}

export interface BalancerOptions {
  minConfidence: number;
  /** PSI cpu "some" avg10 (%) at or above which the machine still counts as contended (no restores). */
  contentionPsiPercent: number;
  /** Mean run-queue wait of protected processes (ms/s) at or above which the machine still counts as contended. */
  contentionWaitMsPerSec: number;
}

export interface Contention {
  contended: boolean;
  systemCpuPercent: number;
  psiCpuSomeAvg10?: number;
  protectedWaitMsPerSec?: number;
}

/** Is the machine still contended (any of: system CPU, PSI cpu some, the protected programs' wait)? */
export function contentionOf(sample: Sample, classes: ReadonlyMap<string, Classification>, t: BalancerThresholds, o: Pick<BalancerOptions, 'contentionPsiPercent' | 'contentionWaitMsPerSec'>): Contention {
  let waitSum = 0;
  let waitN = 0;
  for (let i = 0; i < sample.processes.length; i++) {
    const p = sample.processes[i]!;
    if (!classes.get(processKey(p))?.protected || p.runQueueWaitMsPerSec === undefined) continue;
    waitSum += p.runQueueWaitMsPerSec;
    waitN++;
  }
  const psi = sample.system.psi?.cpu?.someAvg10;
  const wait = waitN ? waitSum / waitN : undefined;
  const contended =
    sample.system.cpuPercent >= t.systemCpuPercent || (psi !== undefined && psi >= o.contentionPsiPercent) || (wait !== undefined && wait >= o.contentionWaitMsPerSec);
  return { contended, systemCpuPercent: sample.system.cpuPercent, ...(psi !== undefined ? { psiCpuSomeAvg10: psi } : {}), ...(wait !== undefined ? { protectedWaitMsPerSec: wait } : {}) };
}

/** What a process wants, % of one core: CPU it got plus time it was runnable but waiting. */
export function demandPercent(p: { cpuPercent: number; runQueueWaitMsPerSec?: number }): number {
  return p.cpuPercent + (p.runQueueWaitMsPerSec ?? 0) / 10;
}

export interface Balancer {
  tick(ctx: BalancerContext): void;
  /** How long (ms) the process has been continuously over the thresholds, if it is. */
  overForMs(key: string, at: number): number | undefined;
}

export function holdMs(t: BalancerThresholds, restoreCount: number): number {
  return Math.min(Math.max(t.minRestrainedMs, t.maxRestrainedHoldMs), t.minRestrainedMs * 2 ** Math.min(restoreCount, 20));
}

export function createBalancer(options: Partial<BalancerOptions> = {}): Balancer {
  const minConfidence = options.minConfidence ?? 0.35;
  const contentionOptions = { contentionPsiPercent: options.contentionPsiPercent ?? 20, contentionWaitMsPerSec: options.contentionWaitMsPerSec ?? 10 };
  /** key -> time from which the process has been over the thresholds (start of the first over interval). */
  const overSince = new Map<string, number>();

  return {
    overForMs(key, at) {
      const since = overSince.get(key);
      return since === undefined ? undefined : at - since;
    },
    tick(ctx) {
      const { sample, classes, ledger, sink, thresholds: t } = ctx;
      const at = sample.at;
      const systemBusy = sample.system.cpuPercent >= t.systemCpuPercent;
      let contention: Contention | undefined;
      const contentionNow = () => (contention ??= contentionOf(sample, classes, t, contentionOptions));
      const preferred = ctx.preferred ?? new Set<string>();
      // Only a process at or over the CPU threshold, restrained, or already timed as over can lead to
      // anything below; the rest (most of them, idle) are left out before sorting.
      const considered = sample.processes.filter((p) => p.cpuPercent >= t.processCpuPercent || overSince.has(processKey(p)) || ledger.get(processKey(p)) !== undefined);
      const order =
        preferred.size > 0
          ? considered.sort((a, b) => {
              const pa = preferred.has(processKey(a)) ? 1 : 0;
              const pb = preferred.has(processKey(b)) ? 1 : 0;
              return pb - pa || b.cpuPercent - a.cpuPercent || a.pid - b.pid;
            })
          : considered.sort((a, b) => b.cpuPercent - a.cpuPercent || a.pid - b.pid);
      for (const p of order) {
        const key = processKey(p);
        const c = classes.get(key);
        if (!c) continue;
        // The cheap tests first: most processes are far below the threshold, and the confidence
        // lookup is the costly part.
        const over =
          systemBusy &&
          p.cpuPercent >= t.processCpuPercent &&
          !c.untouchable && c.class !== 'system' && c.class !== 'foreground' && !ruleOwnsNice(c.policy) && !ledger.backedOff(key, at) && !ctx.exclude?.(p) && ctx.confidence(programKey(p)) >= minConfidence;
        if (over) {
          if (!overSince.has(key)) overSince.set(key, at - sample.intervalMs);
        } else overSince.delete(key);

        const r = ledger.get(key);
        if (r) {
          if (r.source !== 'balancer' && r.source !== 'planner') continue;
          const hold = holdMs(t, ledger.memoOf(key).restoreCount);
          const restrainedMs = at - r.since;
          const wants = demandPercent(p);
          if (r.source === 'balancer' && wants < t.restoreBelowPercent && restrainedMs >= hold && !contentionNow().contended && ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) {
            const cn = contentionNow();
            ledger.restore(sink, key, 'balancer', {
              reason: `${p.name} dropped to ${round(wants, 1)}% of a core (CPU + run-queue wait, below ${t.restoreBelowPercent}%) after ${round(restrainedMs / 1000, 1)} s restrained, and the machine is no longer contended: restoring its priority.`,
              numbers: {
                cpuPercent: round(p.cpuPercent, 2),
                demandPercent: round(wants, 2),
                restoreBelowPercent: t.restoreBelowPercent,
                holdMs: hold,
                systemCpuPercent: round(sample.system.cpuPercent, 2),
                ...(cn.psiCpuSomeAvg10 !== undefined ? { psiCpuSomeAvg10: round(cn.psiCpuSomeAvg10, 2) } : {}),
                ...(cn.protectedWaitMsPerSec !== undefined ? { protectedWaitMsPerSec: round(cn.protectedWaitMsPerSec, 2) } : {}),
              },
              expectedEffect: `${p.name} gets its normal CPU share back.`,
            });
            overSince.delete(key);
            continue;
          }
          const since = overSince.get(key);
          if (
            over &&
            since !== undefined &&
            r.steps < ledger.maxStepsFor(key, at, t.maxSteps) &&
            at - since >= t.overForMs &&
            at - r.lastActionAt >= Math.max(t.perProcessMinIntervalMs, t.overForMs) &&
            r.appliedNice < 19 &&
            ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)
          ) {
            const nice = Math.min(19, r.appliedNice + t.niceStep);
            ledger.restrain(sink, p, 'balancer', nice, {
              reason: `${p.name} still uses ${round(p.cpuPercent, 1)}% CPU while the machine is at ${round(sample.system.cpuPercent, 1)}%: lowering it another step (step ${r.steps + 1}${r.source !== 'balancer' ? `, after the ${r.source}'s restraint` : ''}).`,
              numbers: { cpuPercent: round(p.cpuPercent, 2), systemCpuPercent: round(sample.system.cpuPercent, 2), overForMs: at - since, step: r.steps + 1 },
              expectedEffect: `${p.name} yields more CPU to foreground and interactive programs.`,
            });
            overSince.set(key, at);
          }
          continue;
        }
        const since = overSince.get(key);
        if (since === undefined || at - since < t.overForMs) continue;
        const memo = ledger.memoOf(key);
        if (memo.lastActionAt !== undefined && at - memo.lastActionAt < t.perProcessMinIntervalMs) continue;
        if (p.nice >= 19) continue;
        if (!ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) continue;
        const nice = Math.min(19, p.nice + t.niceStep);
        ledger.restrain(sink, p, 'balancer', nice, {
          reason: `Machine CPU at ${round(sample.system.cpuPercent, 1)}% (≥ ${t.systemCpuPercent}%) and ${p.name} (${c.class}) used ≥ ${t.processCpuPercent}% of a core for ${round((at - since) / 1000, 1)} s: lowering it one step.`,
          numbers: {
            cpuPercent: round(p.cpuPercent, 2),
            systemCpuPercent: round(sample.system.cpuPercent, 2),
            overForMs: at - since,
            thresholdSystemCpuPercent: t.systemCpuPercent,
            thresholdProcessCpuPercent: t.processCpuPercent,
          },
          expectedEffect: `${p.name} yields CPU to foreground and interactive programs; restored when it drops below ${t.restoreBelowPercent}%.`,
        });
        overSince.set(key, at);
      }
      // `classes` holds every process of this tick.
      for (const key of overSince.keys()) if (!classes.has(key)) overSince.delete(key);
    },
  };
}
