// Proactive planner. When the forecast says CPU demand will exceed usable capacity, it picks
// restraints whose benefit exceeds their cost, before the contention happens:
//   wait(d, D)  = d * max(0, 1 - C/D) * 10      run-queue wait (ms per s) of a task wanting d % of a
//                                              core when total demand D exceeds capacity C (per-core %)
//   freed(c)    = min(0.8 * p50(c), D - C)       CPU a one-step restraint moves away from candidate c
//   benefit(c)  = Σ_protected w(tier_p) * [wait(d_p, D) - wait(d_p, D - freed)]
//                 * min(1, remaining(c) / 30 s) * confidence(c)
//   cost(c)     = w(tier_c) * freed * 10 * (1 + restrainedSoFarMs / 60 s)
// Greedy by benefit - cost until the forecast fits. It releases its own restraints once the forecast
// is comfortably below capacity. Memory: warns on time to exhaustion from leaking processes and
// applies a soft memory limit only where a rule allows it. Pure.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import { TIER_WEIGHTS, tierRank, type Alert } from '../../src-shared/engine';
import type { Profile } from '../../src-shared/rules';
import { coreCount, processKey, programKey, round, targetOf } from './common';
import type { Classification } from './classify';
import type { DecisionSink, Ledger } from './ledger';
import type { LeakVerdict } from './memory';
import type { ProfileStore } from './profiles';
import { qsSummary } from './quantiles';

/** Minimal forecast input: per program (summed over its processes) p50/p90 CPU in % of one core. */
export interface ProgramCpuForecast {
  p50CpuPercent5s: number;
  p90CpuPercent5s: number;
  p50CpuPercent30s: number;
  p90CpuPercent30s: number;
}

export interface PlannerForecast {
  /** Whole-machine CPU p90 forecasts, 0-100 % of all cores. */
  systemP90CpuPercent5s?: number;
  systemP90CpuPercent30s?: number;
  programs: Record<string, ProgramCpuForecast>;
}

export interface PlannerOptions {
  /** Fraction of a candidate's CPU a one-step restraint moves to others under contention. */
  freedFraction: number;
  horizonMs: number;
  /** Time restrained after which the cost doubles. */
  restrainedCostMs: number;
  minCandidateCpuPercent: number;
  maxActionsPerTick: number;
  niceStep: number;
  minRestrainedMs: number;
  /** Release planner restraints when forecast demand is below capacity times this. */
  releaseBelowFraction: number;
  /** Warn when memory runs out within this time. */
  exhaustionWarnMs: number;
}

export const DEFAULT_PLANNER_OPTIONS: PlannerOptions = {
  freedFraction: 0.8,
  horizonMs: 30_000,
  restrainedCostMs: 60_000,
  minCandidateCpuPercent: 5,
  maxActionsPerTick: 3,
  niceStep: 5,
  minRestrainedMs: 6_000,
  releaseBelowFraction: 0.85,
  exhaustionWarnMs: 3_600_000,
};

export interface PlannerContext {
  sample: Sample;
  classes: ReadonlyMap<string, Classification>;
  ledger: Ledger;
  sink: DecisionSink;
  profile: Profile;
  forecast?: PlannerForecast;
  profiles: ProfileStore;
  confidence: (programId: string) => number;
  /** Protected processes that launched this tick: their profile p90 CPU is added to the demand. */
  launchedProtected: readonly ProcessSample[];
  options?: Partial<PlannerOptions>;
}

export interface CandidateScore {
  key: string;
  pid: number;
  name: string;
  benefit: number;
  cost: number;
  freedCpuPercent: number;
}

/** Predicted run-queue wait, ms per second, for demand d (% of a core) at total demand D, capacity C. */
export function predictedWaitMsPerSec(d: number, totalDemand: number, capacity: number): number {
  if (totalDemand <= capacity || totalDemand <= 0) return 0;
  return d * (1 - capacity / totalDemand) * 10;
}

/** Split a program's forecast across its live processes in proportion to their current CPU. */
function processDemand(p: ProcessSample, programCpu: ReadonlyMap<string, number>, forecast: PlannerForecast | undefined, which: 'p50' | 'p90'): number {
  const f = forecast?.programs[programKey(p)];
  if (!f) return p.cpuPercent;
  const total = programCpu.get(programKey(p)) ?? 0;
  const share = total > 0 ? p.cpuPercent / total : 1;
  const v = which === 'p50' ? Math.max(f.p50CpuPercent5s, f.p50CpuPercent30s) : Math.max(f.p90CpuPercent5s, f.p90CpuPercent30s);
  return v * share;
}

export function plan(ctx: PlannerContext): CandidateScore[] {
  const o = { ...DEFAULT_PLANNER_OPTIONS, ...ctx.options };
  const { sample, classes, ledger, sink, profile, forecast, profiles } = ctx;
  const at = sample.at;
  const cores = coreCount(sample);
  const capacity = cores * profile.plannerCapacityPercent;
  const programCpu = new Map<string, number>();
  for (const p of sample.processes) programCpu.set(programKey(p), (programCpu.get(programKey(p)) ?? 0) + p.cpuPercent);

  // Total demand (per-core %): the system forecast if given, else the sum of program forecasts.
  let demand: number;
  const sysP90 = Math.max(forecast?.systemP90CpuPercent5s ?? -1, forecast?.systemP90CpuPercent30s ?? -1);
  if (sysP90 >= 0) demand = (sysP90 / 100) * cores * 100;
  else if (forecast) demand = sample.processes.reduce((s, p) => s + processDemand(p, programCpu, forecast, 'p90'), 0);
  else demand = sample.system.cpuPercent * cores;
  let launchBoost = 0;
  for (const p of ctx.launchedProtected) {
    const pr = profiles.programs.get(programKey(p));
    if (pr) launchBoost += qsSummary(pr.metrics.cpuPercent).p90 || 0;
  }
  demand += launchBoost;

  // Release planner restraints once the forecast fits comfortably.
  if (demand < capacity * o.releaseBelowFraction) {
    for (const r of [...ledger.restraints.values()]) {
      if (r.source !== 'planner' || at - r.since < o.minRestrainedMs) continue;
      ledger.restore(sink, r.key, 'planner', {
        reason: `Forecast CPU demand ${round((demand / cores), 1)}% of the machine is below ${round(profile.plannerCapacityPercent * o.releaseBelowFraction, 1)}%: restoring ${r.target.name}.`,
        numbers: { forecastDemandPercent: round(demand / cores, 2), capacityPercent: profile.plannerCapacityPercent },
        expectedEffect: `${r.target.name} gets its normal CPU share back.`,
      });
    }
    return [];
  }
  if (demand <= capacity) return [];

  const protectedProcs: { p: ProcessSample; c: Classification; d: number }[] = [];
  const candidates: { p: ProcessSample; c: Classification; d50: number }[] = [];
  for (const p of sample.processes) {
    const key = processKey(p);
    const c = classes.get(key);
    if (!c) continue;
    if (c.protected) {
      protectedProcs.push({ p, c, d: processDemand(p, programCpu, forecast, 'p90') });
      continue;
    }
    if (c.untouchable || c.class === 'system' || c.class === 'foreground') continue;
    if (tierRank(c.tier) < tierRank('normal')) continue;
    if (ledger.get(key) || ledger.backedOff(key, at) || p.nice >= 19) continue;
    const d50 = processDemand(p, programCpu, forecast, 'p50');
    if (d50 < o.minCandidateCpuPercent) continue;
    candidates.push({ p, c, d50 });
  }
  for (const lp of ctx.launchedProtected) {
    if (protectedProcs.some((x) => x.p.pid === lp.pid)) continue;
    const c = classes.get(processKey(lp));
    const pr = profiles.programs.get(programKey(lp));
    if (c && pr) protectedProcs.push({ p: lp, c, d: qsSummary(pr.metrics.cpuPercent).p90 || 0 });
  }

  const score = (cand: { p: ProcessSample; c: Classification; d50: number }, D: number): CandidateScore => {
    const freed = Math.max(0, Math.min(o.freedFraction * cand.d50, D - capacity));
    let saved = 0;
    for (const pp of protectedProcs) {
      saved += TIER_WEIGHTS[pp.c.tier] * (predictedWaitMsPerSec(pp.d, D, capacity) - predictedWaitMsPerSec(pp.d, D - freed, capacity));
    }
    const pr = profiles.programs.get(programKey(cand.p));
    let remainingFactor = 1;
    if (pr && pr.lifetimeMs.count >= 3 && cand.p.startedAtMs > 0) {
      const remainingMs = Math.max(0, qsSummary(pr.lifetimeMs).p50 - (at - cand.p.startedAtMs));
      remainingFactor = Math.min(1, remainingMs / o.horizonMs);
    }
    const key = processKey(cand.p);
    const memo = ledger.memo.get(key);
    const benefit = saved * remainingFactor * ctx.confidence(programKey(cand.p));
    const cost = TIER_WEIGHTS[cand.c.tier] * freed * 10 * (1 + (memo?.restrainedTotalMs ?? 0) / o.restrainedCostMs);
    return { key, pid: cand.p.pid, name: cand.p.name, benefit, cost, freedCpuPercent: freed };
  };

  const chosen: CandidateScore[] = [];
  let D = demand;
  const pool = [...candidates];
  while (D > capacity && chosen.length < o.maxActionsPerTick && pool.length) {
    const scored = pool
      .map((cand, i) => ({ i, s: score(cand, D) }))
      .sort((a, b) => b.s.benefit - b.s.cost - (a.s.benefit - a.s.cost) || a.s.pid - b.s.pid);
    const best = scored[0]!;
    if (best.s.benefit <= best.s.cost || best.s.freedCpuPercent <= 0) break;
    const cand = pool.splice(best.i, 1)[0]!;
    const nice = Math.min(19, cand.p.nice + o.niceStep);
    ledger.restrain(sink, cand.p, 'planner', nice, {
      reason: `Forecast CPU demand ${round(D / cores, 1)}% of the machine exceeds the usable ${profile.plannerCapacityPercent}%: lowering ${cand.p.name} (${cand.c.tier}) before contention; protecting ${protectedProcs.length} higher-tier process(es).`,
      numbers: {
        forecastDemandPercent: round(D / cores, 2),
        capacityPercent: profile.plannerCapacityPercent,
        benefitWaitMsPerSec: round(best.s.benefit, 3),
        costWaitMsPerSec: round(best.s.cost, 3),
        freedCpuPercent: round(best.s.freedCpuPercent, 2),
        candidateP50CpuPercent: round(cand.d50, 2),
      },
      expectedEffect: `About ${round(best.s.freedCpuPercent, 0)}% of a core moves to higher tiers; predicted weighted wait saved ${round(best.s.benefit, 1)} ms/s.`,
    });
    chosen.push(best.s);
    D -= best.s.freedCpuPercent;
  }
  return chosen;
}

export interface MemoryPlanContext {
  sample: Sample;
  classes: ReadonlyMap<string, Classification>;
  leaks: ReadonlyMap<string, LeakVerdict>;
  sink: DecisionSink;
  /** Processes that already got a memory limit (keys), so the limit is set once. */
  limited: Set<string>;
  options?: Partial<PlannerOptions>;
}

/** Memory: time-to-exhaustion warning and rule-allowed soft limits on leaking processes. */
export function planMemory(ctx: MemoryPlanContext): Alert[] {
  const o = { ...DEFAULT_PLANNER_OPTIONS, ...ctx.options };
  const { sample, leaks, sink } = ctx;
  const alerts: Alert[] = [];
  const byKey = new Map(sample.processes.map((p) => [processKey(p), p] as const));
  let totalSlope = 0;
  const leaking: ProcessSample[] = [];
  for (const [key, v] of leaks) {
    const p = byKey.get(key);
    if (!p || !v.leaking) continue;
    totalSlope += v.slopeBytesPerSec;
    leaking.push(p);
    const c = ctx.classes.get(key);
    const limit = c?.policy.memoryLimitBytes;
    if (limit !== undefined && !ctx.limited.has(key) && c?.class !== 'system') {
      ctx.limited.add(key);
      sink.decide({
        target: targetOf(p),
        change: { op: 'memoryLimit', value: limit },
        undo: { op: 'memoryLimit', value: null },
        source: 'rule',
        reason: `${p.name} is leaking (${round(v.slopeBytesPerSec / 1024, 1)} KiB/s, R² ${round(v.r2, 2)}) and rule "${c?.policy.ruleIds[0] ?? ''}" allows a soft memory limit.`,
        numbers: { slopeBytesPerSec: round(v.slopeBytesPerSec, 0), r2: round(v.r2, 3), rssBytes: p.rssBytes, limitBytes: limit },
        expectedEffect: `${p.name} is reclaimed above ${round(limit / 1048576, 0)} MiB instead of exhausting memory.`,
      });
    }
  }
  if (totalSlope > 0) {
    const available = sample.system.memory.availableBytes;
    const tteMs = (available / totalSlope) * 1000;
    if (tteMs <= o.exhaustionWarnMs) {
      alerts.push({
        id: `memory-exhaustion-${sample.at}`,
        at: sample.at,
        kind: 'memory-exhaustion',
        severity: tteMs < o.exhaustionWarnMs / 4 ? 'critical' : 'warning',
        message: `At the current leak rate (${leaking.map((p) => p.name).join(', ')}), memory runs out in about ${round(tteMs / 60_000, 1)} min.`,
        evidence: { availableBytes: available, leakBytesPerSec: round(totalSlope, 0), timeToExhaustionMs: round(tteMs, 0), leakingProcesses: leaking.length },
      });
    }
  }
  return alerts;
}
