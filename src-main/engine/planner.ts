// Proactive planner. When the forecast says CPU demand will exceed usable capacity, it picks
// restraints whose benefit exceeds their cost, before the contention happens.
//
// Load model (weighted fair sharing, the fluid limit of CFS; nice n has the kernel weight w(n)):
// every process i has a mean demand d_i (% of one core: its forecast, or for a process seen for the
// first time, whose CPU rate cannot be measured yet, its program profile's CPU quantile) and can use
// at most k_i cores (threads). A protected process (foreground / interactive) is bursty: when it has
// work it wants k_p cores at once, and gets the water-filled share s_p of the machine against
// everyone else's mean demand, by weight. Its run-queue wait is then
//   wait_p = r_p * (k_p - s_p) * 1000 ms/s,   r_p = min(1, (d_p / 100) / s_p)   (time it is runnable)
// so lowering a hog helps a light interactive program through the weights, not by freeing "spare"
// CPU (a work-conserving scheduler has none to free). Forecast demand beyond what the live processes
// account for (work about to arrive from no known process) is one more nice-0 entry. A candidate c
// lowered one step (nice + step), with the same wait model applied to c itself:
//   benefit(c) = Σ_protected w(tier_p) * [wait_p(now) - wait_p(c lowered)] * min(1, remaining(c) / 30 s) * confidence(c)
//   cost(c)    = w(tier_c) * [wait_c(c lowered) - wait_c(now)] * (1 + restrainedSoFarMs / 60 s)
// both in weighted ms/s of run-queue wait. Greedy by benefit - cost, re-scoring after each pick,
// while the forecast demand exceeds capacity. Every decision carries the predicted mean
// protected wait without this tick's planner actions (`predictedProtectedWaitMsPerSec`), the
// counterfactual the feedback loop judges it against when no contended "before" was observed.
// It releases its own restraints once the forecast is comfortably below capacity.
// Depth: a pick is one step; a picked candidate goes back into the pool one step lower, so the
// greedy loop takes a second step in the same tick only when that step's own benefit beats its own
// (now higher) cost, up to `maxSteps` steps in all. While the contention persists it also deepens a
// restraint already in force (its own, or the balancer's) by the same scoring, no sooner than
// `minStepIntervalMs` after that restraint's last step, within the global action budget and the
// feedback loop's depth cap. One decision per process per tick carries all of this tick's steps.
// Sessions: with Linux autogroups on (sched_autogroup_enabled=1) and nothing but nice to act with,
// CPU is first shared between sessions (each session's weight is its autogroup nice) and nice only
// ranks inside a session. When the tick says so (`niceRanksAcrossSessions: false`) the model shares
// hierarchically (sessions, then processes), so lowering a hog in another session than the
// protected program is predicted to save nothing (no benefit, and the feedback loop's counterfactual
// is the session-fair wait, not a flat one that would credit the nice with help it cannot give).
// With a cross-session lever (cgroup weights: engine/intents.ts) or no autogroups, the flat model.
// Memory: warns on time to exhaustion from leaking processes and applies a soft memory limit only
// where a rule allows it. Pure.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import { TIER_WEIGHTS, tierRank, type Alert } from '../../src-shared/engine';
import type { Profile } from '../../src-shared/rules';
import { coreCount, fairShares, niceWeight, processKey, programKey, round, targetOf } from './common';
import type { Classification } from './classify';
import type { DecisionSink, Ledger } from './ledger';
import type { LeakVerdict } from './memory';
import { ruleOwnsNice } from './policy';
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
  /** A program profile needs this many process-samples before its CPU quantiles stand in for a new process's demand. */
  minProfileSamples: number;
  /** Most steps of one restraint (the balancer's `maxSteps`). */
  maxSteps: number;
  /** Deepen a restraint in force no sooner than this after its last step. */
  minStepIntervalMs: number;
  /** Global action budget shared with the balancer: at most `globalMaxActions` per `globalWindowMs` for deepening steps. */
  globalMaxActions: number;
  globalWindowMs: number;
  /** Model CPU sharing by session first (nice ranks only inside a session; see the header). */
  bySession: boolean;
}

export const DEFAULT_PLANNER_OPTIONS: PlannerOptions = {
  horizonMs: 30_000,
  restrainedCostMs: 60_000,
  minCandidateCpuPercent: 5,
  maxActionsPerTick: 8,
  niceStep: 5,
  minRestrainedMs: 6_000,
  releaseBelowFraction: 0.85,
  exhaustionWarnMs: 3_600_000,
  minProfileSamples: 30,
  maxSteps: 2,
  minStepIntervalMs: 2_800,
  globalMaxActions: 8,
  globalWindowMs: 10_000,
  bySession: false,
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
  /**
   * Processes seen for the first time this tick. Their CPU rate is not measurable yet (0 on the
   * first sample), so a known program's profile CPU quantiles (p50, p90 for protected ones) are
   * its demand, and the part not yet in the forecast is added to the total.
   */
  launched: readonly ProcessSample[];
  options?: Partial<PlannerOptions>;
}

export interface CandidateScore {
  key: string;
  pid: number;
  name: string;
  benefit: number;
  cost: number;
  /** Run-queue wait the restraint adds to the candidate itself, ms per s. */
  addedWaitMsPerSec: number;
}

/** One process in the planner's load model. */
export interface LoadEntry {
  key: string;
  /** Mean CPU it wants, % of one core. */
  demandPercent: number;
  /** Most cores it can use at once. */
  maxCores: number;
  nice: number;
  protected: boolean;
  /** TIER_WEIGHTS of its tier (protected ones' wait counts this much). */
  tierWeight: number;
  /** Its session (Linux autogroup) and that session's nice, where known (see the header). */
  session?: number;
  sessionNice?: number;
}

/** How the model shares CPU: flat by nice (default), or by sessions first (nice ranks only inside a session). */
export interface ShareModel {
  bySession?: boolean;
}

/** The share of entry i (wanting `want` cores) against the others' mean demand, flat or by session. */
function shareOf(load: readonly LoadEntry[], i: number, want: number, cores: number, nice: (e: LoadEntry) => number, model: ShareModel): number {
  const req = load.map((x, j) => ({ weight: niceWeight(nice(x)), maxCores: j === i ? want : Math.min(x.maxCores, x.demandPercent / 100) }));
  if (!model.bySession || load[i]!.session === undefined) return fairShares(req, cores)[i]!;
  const groupOf = (j: number) => (load[j]!.session !== undefined ? `s${load[j]!.session}` : `p${j}`);
  const groups = new Map<string, { members: number[]; nice: number }>();
  load.forEach((x, j) => {
    const g = groups.get(groupOf(j));
    if (g) g.members.push(j);
    else groups.set(groupOf(j), { members: [j], nice: x.session !== undefined ? (x.sessionNice ?? 0) : nice(x) });
  });
  const list = [...groups.values()];
  const groupShares = fairShares(list.map((g) => ({ weight: niceWeight(g.nice), maxCores: Math.min(cores, g.members.reduce((sum, j) => sum + req[j]!.maxCores, 0)) })), cores);
  const k = list.findIndex((g) => g.members.includes(i));
  const mine = list[k]!;
  return fairShares(mine.members.map((j) => req[j]!), groupShares[k]!)[mine.members.indexOf(i)]!;
}

/** Predicted run-queue wait (ms per s) of entry i when it has work, against the others' mean demand (see header). */
export function entryWaitMsPerSec(load: readonly LoadEntry[], i: number, cores: number, nice: (e: LoadEntry) => number = (e) => e.nice, model: ShareModel = {}): number {
  const e = load[i]!;
  const need = e.demandPercent / 100;
  if (need <= 0) return 0;
  const want = Math.max(1e-6, Math.min(e.maxCores, cores));
  const share = shareOf(load, i, want, cores, nice, model);
  if (share <= 1e-9) return 1000 * want;
  const runnable = Math.min(1, need / share);
  return runnable * Math.max(0, want - share) * 1000;
}

/** Mean predicted wait over the protected entries (the quantity the feedback loop measures), ms per s. */
export function meanProtectedWaitMsPerSec(load: readonly LoadEntry[], cores: number, nice?: (e: LoadEntry) => number, model: ShareModel = {}): number | undefined {
  let sum = 0;
  let n = 0;
  load.forEach((e, i) => {
    if (!e.protected) return;
    sum += entryWaitMsPerSec(load, i, cores, nice, model);
    n++;
  });
  return n ? sum / n : undefined;
}

/** Profile CPU quantile of a program with enough evidence, % of one core per process. */
export function profileCpuPercent(profiles: ProfileStore, p: ProcessSample, which: 'p50' | 'p90', minSamples: number): number | undefined {
  const pr = profiles.programs.get(programKey(p));
  if (!pr || pr.samples < minSamples || pr.metrics.cpuPercent.count < minSamples) return undefined;
  const v = qsSummary(pr.metrics.cpuPercent)[which];
  return Number.isFinite(v) ? v : undefined;
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

export interface LoadModelInput {
  sample: Sample;
  classes: ReadonlyMap<string, Classification>;
  profiles: ProfileStore;
  forecast?: PlannerForecast;
  launched: readonly ProcessSample[];
  minProfileSamples: number;
}

/**
 * The load model of a tick: one entry per classified process (protected ones at their p90, others at
 * p50), launched processes at their profile's quantile; `launchExtraPercent` is the launched
 * processes' demand the measured/forecast load does not contain yet.
 */
export function buildLoad(input: LoadModelInput): { load: LoadEntry[]; launchExtraPercent: number } {
  const { sample, classes, profiles, forecast } = input;
  const cores = coreCount(sample);
  const launchedKeys = new Set(input.launched.map((p) => processKey(p)));
  const programCpu = new Map<string, number>();
  for (const p of sample.processes) programCpu.set(programKey(p), (programCpu.get(programKey(p)) ?? 0) + p.cpuPercent);
  const load: LoadEntry[] = [];
  let launchExtraPercent = 0;
  for (let i = 0; i < sample.processes.length; i++) {
    const p = sample.processes[i]!;
    const key = processKey(p);
    const c = classes.get(key);
    if (!c || p.kernelThread) continue;
    const which = c.protected ? 'p90' : 'p50';
    let demand = processDemand(p, programCpu, forecast, which);
    if (launchedKeys.has(key)) {
      const known = profileCpuPercent(profiles, p, which, input.minProfileSamples);
      if (known !== undefined && known > demand) {
        launchExtraPercent += known - Math.max(demand, p.cpuPercent);
        demand = known;
      }
    }
    const maxCores = Math.max(1, Math.min(cores, p.threads || 1));
    load.push({
      key,
      demandPercent: Math.min(demand, maxCores * 100),
      maxCores,
      nice: p.nice,
      protected: c.protected,
      tierWeight: TIER_WEIGHTS[c.tier],
      ...(p.autogroup !== undefined ? { session: p.autogroup, sessionNice: p.autogroupNice ?? 0 } : {}),
    });
  }
  return { load, launchExtraPercent: Math.max(0, launchExtraPercent) };
}

/** Net benefit (weighted ms/s) below which a step is not worth it: float noise, not a saving. */
const MIN_NET_BENEFIT = 1e-6;

/**
 * How many steps to lower a set of processes (`keys`) at once, 1..maxSteps: one step, then one more
 * each time that step's benefit (tier-weighted protected wait saved) beats its cost (tier-weighted
 * wait it adds to the lowered processes), in the load model of the header.
 */
export function chooseDepth(load: readonly LoadEntry[], cores: number, keys: ReadonlySet<string>, niceStep: number, maxSteps: number, model: ShareModel = {}): number {
  const niceAt = (d: number) => (e: LoadEntry) => (keys.has(e.key) ? Math.min(19, e.nice + d * niceStep) : e.nice);
  const weighted = (d: number, which: (e: LoadEntry) => boolean) => {
    let sum = 0;
    load.forEach((e, i) => {
      if (which(e)) sum += e.tierWeight * entryWaitMsPerSec(load, i, cores, niceAt(d), model);
    });
    return sum;
  };
  let depth = 1;
  while (depth < maxSteps) {
    const next = depth + 1;
    if (!load.some((e) => keys.has(e.key) && niceAt(next)(e) > niceAt(depth)(e))) break;
    const benefit = weighted(depth, (e) => e.protected) - weighted(next, (e) => e.protected);
    const cost = weighted(next, (e) => keys.has(e.key)) - weighted(depth, (e) => keys.has(e.key));
    if (!(benefit > cost + MIN_NET_BENEFIT)) break;
    depth = next;
  }
  return depth;
}

export function plan(ctx: PlannerContext): CandidateScore[] {
  const o = { ...DEFAULT_PLANNER_OPTIONS, ...ctx.options };
  const { sample, classes, ledger, sink, profile, forecast, profiles } = ctx;
  const at = sample.at;
  const cores = coreCount(sample);
  const model: ShareModel = { bySession: o.bySession };
  const capacity = cores * profile.plannerCapacityPercent;
  // The load model (one entry per process) is built only when it is needed: on a calm tick with a
  // system forecast and no launch, the demand is the forecast's and the planner stops below capacity.
  let built: ReturnType<typeof buildLoad> | undefined;
  const loadModel = () => (built ??= buildLoad({ sample, classes, profiles, ...(forecast ? { forecast } : {}), launched: ctx.launched, minProfileSamples: o.minProfileSamples }));
  const launchExtra = () => (ctx.launched.length > 0 ? loadModel().launchExtraPercent : 0);

  // Total demand (per-core %): the system forecast if given, else the sum of the model's demands;
  // plus what launched programs will add that neither contains yet.
  let demand: number;
  const sysP90 = Math.max(forecast?.systemP90CpuPercent5s ?? -1, forecast?.systemP90CpuPercent30s ?? -1);
  if (sysP90 >= 0) demand = (sysP90 / 100) * cores * 100 + launchExtra();
  else if (forecast) demand = loadModel().load.reduce((s, e) => s + e.demandPercent, 0);
  else demand = sample.system.cpuPercent * cores + launchExtra();

  // Release planner restraints once the forecast fits comfortably.
  if (demand < capacity * o.releaseBelowFraction) {
    for (const r of [...ledger.restraints.values()]) {
      if (r.source !== 'planner' || at - r.since < o.minRestrainedMs) continue;
      ledger.restore(sink, r.key, 'planner', {
        reason: `Forecast CPU demand ${round(demand / cores, 1)}% of the machine is below ${round(profile.plannerCapacityPercent * o.releaseBelowFraction, 1)}%: restoring ${r.target.name}.`,
        numbers: { forecastDemandPercent: round(demand / cores, 2), capacityPercent: profile.plannerCapacityPercent },
        expectedEffect: `${r.target.name} gets its normal CPU share back.`,
      });
    }
    return [];
  }
  if (demand <= capacity) return [];
  const { load } = loadModel();
  if (!load.some((e) => e.protected)) return [];
  const accounted = load.reduce((sum, e) => sum + e.demandPercent, 0);
  if (demand > accounted) load.push({ key: '(forecast, not yet attributed)', demandPercent: demand - accounted, maxCores: cores, nice: 0, protected: false, tierWeight: 0 });

  const byKey = new Map(sample.processes.map((p) => [processKey(p), p] as const));
  interface Candidate {
    p: ProcessSample;
    c: Classification;
    i: number;
    /** Steps this restraint may still take (maxSteps minus those in force). */
    stepsLeft: number;
  }
  const candidates: Candidate[] = [];
  const budgetOk = ledger.canAct(at, o.globalMaxActions, o.globalWindowMs);
  load.forEach((e, i) => {
    const p = byKey.get(e.key);
    const c = classes.get(e.key);
    if (!p || !c) return;
    if (c.protected || c.untouchable || c.class === 'system' || c.class === 'foreground') return;
    if (tierRank(c.tier) < tierRank('normal') || ruleOwnsNice(c.policy)) return;
    if (ledger.backedOff(e.key, at) || p.nice >= 19) return;
    if (e.demandPercent < o.minCandidateCpuPercent) return;
    const r = ledger.get(e.key);
    const maxSteps = ledger.maxStepsFor(e.key, at, o.maxSteps);
    if (r) {
      // Deepen a restraint in force (the planner's own or the balancer's), not a tenant's, step by step.
      if (r.source !== 'planner' && r.source !== 'balancer') return;
      if (r.status === 'pending' || p.nice !== r.appliedNice || at - r.lastActionAt < o.minStepIntervalMs || !budgetOk) return;
      if (r.steps >= maxSteps) return;
      candidates.push({ p, c, i, stepsLeft: maxSteps - r.steps });
      return;
    }
    if (maxSteps < 1) return;
    candidates.push({ p, c, i, stepsLeft: maxSteps });
  });
  if (!candidates.length) return [];

  // Working nice values: this tick's picks are applied to the model as they are made.
  const working = new Map<string, number>();
  const niceNow = (e: LoadEntry) => working.get(e.key) ?? e.nice;
  const counterfactualWait = meanProtectedWaitMsPerSec(load, cores, undefined, model) ?? 0;

  const score = (cand: Candidate): CandidateScore => {
    const e = load[cand.i]!;
    const lowered = Math.min(19, niceNow(e) + o.niceStep);
    const withC = (x: LoadEntry) => (x.key === e.key ? lowered : niceNow(x));
    let saved = 0;
    load.forEach((x, j) => {
      if (!x.protected) return;
      saved += x.tierWeight * (entryWaitMsPerSec(load, j, cores, niceNow, model) - entryWaitMsPerSec(load, j, cores, withC, model));
    });
    const added = Math.max(0, entryWaitMsPerSec(load, cand.i, cores, withC, model) - entryWaitMsPerSec(load, cand.i, cores, niceNow, model));
    const pr = profiles.programs.get(programKey(cand.p));
    let remainingFactor = 1;
    if (pr && pr.lifetimeMs.count >= 3 && cand.p.startedAtMs > 0) {
      const remainingMs = Math.max(0, qsSummary(pr.lifetimeMs).p50 - (at - cand.p.startedAtMs));
      remainingFactor = Math.min(1, remainingMs / o.horizonMs);
    }
    const memo = ledger.memo.get(e.key);
    const current = ledger.get(e.key);
    const restrainedSoFarMs = (memo?.restrainedTotalMs ?? 0) + (current ? Math.max(0, at - current.since) : 0);
    const benefit = saved * remainingFactor * ctx.confidence(programKey(cand.p));
    const cost = e.tierWeight * added * (1 + restrainedSoFarMs / o.restrainedCostMs);
    return { key: e.key, pid: cand.p.pid, name: cand.p.name, benefit, cost, addedWaitMsPerSec: added };
  };

  const chosen: CandidateScore[] = [];
  const pool = [...candidates];
  const launchedKeys = new Set(ctx.launched.map((p) => processKey(p)));
  /** This tick's picks per process (one decision each, emitted after the greedy loop). */
  const picks = new Map<string, { cand: Candidate; steps: number; scores: CandidateScore[]; waitBefore: number; waitAfter: number }>();
  let stepsTaken = 0;
  while (stepsTaken < o.maxActionsPerTick && pool.length) {
    const scored = pool
      .map((cand, k) => ({ k, s: score(cand) }))
      .sort((a, b) => b.s.benefit - b.s.cost - (a.s.benefit - a.s.cost) || a.s.pid - b.s.pid);
    const best = scored[0]!;
    if (!(best.s.benefit > best.s.cost + MIN_NET_BENEFIT)) break;
    const cand = pool.splice(best.k, 1)[0]!;
    const e = load[cand.i]!;
    const from = niceNow(e);
    const nice = Math.min(19, from + o.niceStep);
    if (nice <= from) continue;
    const waitBefore = meanProtectedWaitMsPerSec(load, cores, niceNow, model) ?? 0;
    working.set(e.key, nice);
    const waitAfter = meanProtectedWaitMsPerSec(load, cores, niceNow, model) ?? 0;
    const pick = picks.get(e.key) ?? { cand, steps: 0, scores: [], waitBefore, waitAfter };
    pick.steps++;
    pick.scores.push(best.s);
    pick.waitAfter = waitAfter;
    picks.set(e.key, pick);
    stepsTaken++;
    // One step lower, it competes again for another step (its cost has grown).
    if (pick.steps < cand.stepsLeft && nice < 19) pool.push(cand);
  }

  for (const [key, pick] of picks) {
    const { cand, steps, scores } = pick;
    const e = load[cand.i]!;
    const nice = working.get(key)!;
    const prev = ledger.get(key);
    const isLaunch = launchedKeys.has(key);
    const benefit = scores.reduce((sum, x) => sum + x.benefit, 0);
    const cost = scores.reduce((sum, x) => sum + x.cost, 0);
    const added = scores.reduce((sum, x) => sum + x.addedWaitMsPerSec, 0);
    const stepWords = steps > 1 ? `${steps} steps` : 'one step';
    const d = ledger.restrain(
      sink,
      cand.p,
      'planner',
      nice,
      {
        reason: `${isLaunch ? `${cand.p.name} just started and its profile says it wants about ${round(e.demandPercent, 0)}% of a core; ` : ''}forecast CPU demand ${round(demand / cores, 1)}% of the machine exceeds the usable ${profile.plannerCapacityPercent}%: lowering ${cand.p.name} (${cand.c.tier}) ${stepWords}${prev ? ` further (restrained by the ${prev.source} at nice ${prev.appliedNice})` : ' before contention'}; protecting ${load.filter((x) => x.protected).length} higher-tier process(es).`,
        numbers: {
          forecastDemandPercent: round(demand / cores, 2),
          capacityPercent: profile.plannerCapacityPercent,
          benefitWaitMsPerSec: round(benefit, 3),
          costWaitMsPerSec: round(cost, 3),
          candidateAddedWaitMsPerSec: round(added, 2),
          candidateDemandPercent: round(e.demandPercent, 2),
          predictedProtectedWaitMsPerSec: round(counterfactualWait, 3),
          predictedProtectedWaitBeforeStepMsPerSec: round(pick.waitBefore, 3),
          predictedProtectedWaitAfterMsPerSec: round(pick.waitAfter, 3),
          steps,
          ...(isLaunch ? { launch: 1 } : {}),
        },
        expectedEffect: `${cand.p.name} yields to higher tiers; predicted mean wait of the protected programs ${round(pick.waitBefore, 1)} -> ${round(pick.waitAfter, 1)} ms/s.`,
      },
      steps,
    );
    if (!d) {
      working.delete(key);
      continue;
    }
    chosen.push({ ...scores[0]!, benefit, cost, addedWaitMsPerSec: added });
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
  if (leaks.size === 0) return alerts;
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
