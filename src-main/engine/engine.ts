// The engine: one pure, deterministic tick per Sample. Order inside a tick:
//   triggers (may switch profile) -> classify -> profiles -> housekeeping (gone processes, someone
//   else changed a process, restrained process became foreground) -> sessions (sessions.ts: a session
//   of background work lowered as a whole; first, so its decisions are carried out first: they reach
//   furthest) -> rule actions for new processes -> known-program launches -> feedback (revert what
//   did not help) -> tenants -> balancer -> process-tree roots (tree.ts: builds and fork storms restrained at the parent) -> planner -> memory -> anomalies -> events.
// That order is also the precedence: a process gets at most one decision per field per tick (the
// DecisionSink refuses the rest), so a safety restore or a rule always beats a later stage, and the
// balancer, planner and tenants never touch a nice that a rule sets (ruleOwnsNice).
// Launches: a process is first seen in the sample after it started, with no CPU rate yet; for a
// program the profile knows, its profile (learned class, CPU quantiles) is what acts in that sample.
// Modes: off (observe and alert, decide nothing), advise (decisions with apply=false), auto.
// Time comes only from `sample.at`; ids come from a counter; the same inputs give the same outputs.
// `tick` never throws: an internal error comes back as a 'degraded' event with no decisions.
import type { Sample, ProcessSample } from '../../src-shared/domain';
import { TIER_DEFAULTS, tierRank, type IntentResult, type Alert, type Decision, type EngineEvent, type Mode } from '../../src-shared/engine';
import { DEFAULT_RULES_FILE, type RulesFile } from '../../src-shared/rules';
import { createBalancer } from './balancer';
import { createClassifier, type Classification, type ClassifierOptions } from './classify';
import { coreCount, processKey, programKey, round, targetOf } from './common';
import { EventBus, TriggerWatcher } from './events';
import { createFeedback, type FeedbackOptions } from './feedback';
import { DecisionSink, Ledger, type Restraint } from './ledger';
import { createLeakDetector, type LeakOptions, type LeakVerdict } from './memory';
import { createAnomalyDetector, type AnomalyOptions } from './anomalies';
import { buildLoad, chooseDepth, meanProtectedWaitMsPerSec, plan, planMemory, profileCpuPercent, type PlannerForecast, type PlannerOptions } from './planner';
import { compilePolicy, ruleOwnsNice, type Policy } from './policy';
import { createProfileStore, learnedClass, updateProfiles, type ProfileStore } from './profiles';
import { createTenantManager, type TenantUsage } from './tenants';
import { createTreeRestrainer, type TreeOptions } from './tree';
import { createSessionRestrainer, type SessionRestraint } from './sessions';
import { createMemoryGuard, type MemoryGuardOptions } from './pressure';
import { createProcessIndex } from './process-index';

export interface EngineConfig {
  rules?: RulesFile;
  /** Profile to start in (default: the rules file's activeProfile). */
  profileId?: string;
  mode?: Mode;
  /** Allot's own pid: never touched. */
  selfPid?: number;
  /** Persisted profiles to continue from. */
  profiles?: ProfileStore;
  utcOffsetMinutes?: number;
  classifier?: Partial<ClassifierOptions>;
  leak?: Partial<LeakOptions>;
  feedback?: Partial<FeedbackOptions>;
  planner?: Partial<PlannerOptions>;
  anomalies?: Partial<AnomalyOptions>;
  /** Restraining the root of a build or fork storm (tree.ts). */
  tree?: Partial<TreeOptions>;
  /** Memory-pressure episodes (pressure.ts). */
  memoryGuard?: Partial<MemoryGuardOptions>;
  /** Profile must have seen a program this often, and this share of batch, to lower it at launch. */
  knownProgramMinSamples?: number;
  knownProgramMinShare?: number;
  /** How long to leave a process alone after someone else changed it or an action failed. */
  backoffMs?: number;
}

export interface TickInputs {
  foregroundPid?: number;
  foregroundUnavailableReason?: string;
  userIdleMs?: number;
  forecast?: PlannerForecast;
  /**
   * false: nice ranks a process only inside its session (Linux autogroups on, no cross-session
   * lever), so the planner's load model shares CPU by session first (planner.ts header).
   * Absent or true: nice (or the weight that goes with it) ranks across the machine.
   */
  niceRanksAcrossSessions?: boolean;
}

export interface TickOutput {
  decisions: Decision[];
  alerts: Alert[];
  events: EngineEvent[];
}

export interface EngineState {
  mode: Mode;
  profileId: string;
  restraints: Restraint[];
  /** Sessions (Linux autogroups) lowered as a whole (sessions.ts). */
  sessions: SessionRestraint[];
  tenants: TenantUsage[];
  lastAt?: number;
}

export interface Engine {
  tick(sample: Sample, inputs?: TickInputs): TickOutput;
  /** Results of applying decisions (from the actuator). */
  onResults(results: readonly IntentResult[]): EngineEvent[];
  /** Leaving Auto restores everything Allot applied (apply=true decisions). */
  setMode(mode: Mode, at: number): TickOutput;
  /** Replace the rules (already validated by parseRulesFile). */
  setRules(file: RulesFile): void;
  setProfile(profileId: string, at: number): EngineEvent[];
  /** Decisions that put every restrained process back (for shutdown). */
  restoreAll(at: number): Decision[];
  classification(pid: number): Classification | undefined;
  /** Is this process's whole session lowered (sessions.ts)? Its own changes then need no cross-session weight. */
  inLoweredSession(pid: number): boolean;
  /**
   * Whether a launch of this program is worth a sample before the next tick: in Auto, a rule of the
   * active profile lowers it when seen (Policy.lowersAtLaunch).
   */
  watchesLaunchOf(name: string): boolean;
  state(): EngineState;
  readonly profiles: ProfileStore;
  readonly bus: EventBus<EngineEvent>;
  effectOf(decisionId: string): import('../../src-shared/engine').Effect | undefined;
}

export function createEngine(config: EngineConfig = {}): Engine {
  let rules = config.rules ?? DEFAULT_RULES_FILE;
  let mode: Mode = config.mode ?? 'advise';
  let manualProfileId = config.profileId ?? rules.activeProfile;
  let policy: Policy = compilePolicy(rules, manualProfileId);
  let triggerProfile: { triggerId: string; profileId: string } | undefined;
  const profiles = config.profiles ?? createProfileStore({ utcOffsetMinutes: config.utcOffsetMinutes ?? 0 });
  const classifier = createClassifier(config.classifier);
  const ledger = new Ledger();
  const balancer = createBalancer();
  const feedback = createFeedback(config.feedback);
  const leakDetector = createLeakDetector(config.leak);
  const anomalies = createAnomalyDetector(config.anomalies);
  const tenants = createTenantManager();
  const tree = createTreeRestrainer(config.tree);
  const sessions = createSessionRestrainer();
  const memoryGuard = createMemoryGuard(config.memoryGuard);
  const triggers = new TriggerWatcher(rules.triggers);
  const bus = new EventBus<EngineEvent>();
  const backoffMs = config.backoffMs ?? 600_000;
  const knownMinSamples = config.knownProgramMinSamples ?? 60;
  const knownMinShare = config.knownProgramMinShare ?? 0.8;
  let seq = 0;
  const nextSeq = () => ++seq;
  const seen = new Set<string>();
  const memoryLimited = new Set<string>();
  const leaks = new Map<string, LeakVerdict>();
  const recentDecisions = new Map<string, Decision>();
  let classes = new Map<string, Classification>();
  /** This tick's processes by key and pid, shared by the engine's parts (updated in place each tick). */
  const index = createProcessIndex();
  let tenantUsage: TenantUsage[] = [];
  let lastAt: number | undefined;
  let firstTick = true;
  /** The mode or the rules changed: rules apply again to every running process, not only new ones. */
  let rescan = false;

  const activeProfileId = () => triggerProfile?.profileId ?? manualProfileId;

  function remember(decisions: readonly Decision[]) {
    for (const d of decisions) recentDecisions.set(d.id, d);
    while (recentDecisions.size > 5000) recentDecisions.delete(recentDecisions.keys().next().value!);
  }

  function publish(events: EngineEvent[]) {
    for (const e of events) bus.emit(e);
  }

  /** Rule actions for a process seen for the first time. */
  function ruleDecisions(sink: DecisionSink, p: ProcessSample, c: Classification) {
    const m = c.policy;
    if (c.class === 'system' || m.ruleIds.length === 0) return;
    const rule = m.ruleIds[0]!;
    const base = { target: targetOf(p), source: 'rule' as const };
    const tierNice = m.tier !== undefined ? TIER_DEFAULTS[m.tier].nice : undefined;
    // A rule owns the nice it sets: a restraint on this process (rules changed) is handed over, and
    // undoing the rule puts back the value from before the restraint.
    const restraint = ruleOwnsNice(m) ? ledger.get(processKey(p)) : undefined;
    const originalNice = restraint?.originalNice ?? p.nice;
    if (restraint) ledger.forget(restraint.key, sink.at);
    if (m.nice !== undefined && m.nice !== p.nice) {
      sink.decide({ ...base, change: { op: 'nice', value: m.nice }, undo: { op: 'nice', value: originalNice }, reason: `Rule "${rule}" sets nice ${m.nice} for ${p.name}.`, numbers: { niceBefore: p.nice, niceAfter: m.nice }, expectedEffect: m.nice < p.nice ? `${p.name} gets more CPU under contention.` : `${p.name} yields CPU to others.` });
    } else if (m.tier !== undefined && tierNice !== undefined && tierNice !== p.nice && c.class !== 'foreground') {
      sink.decide({ ...base, change: { op: 'tier', value: m.tier }, undo: { op: 'nice', value: originalNice }, reason: `Rule "${m.tierRuleId}" puts ${p.name} in tier ${m.tier}.`, numbers: { niceBefore: p.nice, tierNice, tierRank: tierRank(m.tier) }, expectedEffect: tierRank(m.tier) < tierRank('normal') ? `${p.name} is favoured under contention.` : `${p.name} yields CPU and I/O to higher tiers.` });
    }
    if (m.affinity && m.affinity.length) {
      sink.decide({ ...base, change: { op: 'affinity', value: m.affinity }, ...(p.affinity ? { undo: { op: 'affinity' as const, value: p.affinity } } : {}), reason: `Rule "${rule}" pins ${p.name} to CPUs ${m.affinity.join(',')}.`, numbers: { cpus: m.affinity.length }, expectedEffect: `${p.name} runs only on the listed CPUs.` });
    }
    if (m.ioPriority) {
      sink.decide({ ...base, change: { op: 'ioPriority', value: m.ioPriority }, ...(p.ioClass && p.ioLevel !== undefined ? { undo: { op: 'ioPriority' as const, value: { class: p.ioClass, level: p.ioLevel } } } : {}), reason: `Rule "${rule}" sets I/O priority ${m.ioPriority.class}/${m.ioPriority.level} for ${p.name}.`, numbers: { ioLevel: m.ioPriority.level }, expectedEffect: `${p.name}'s disk access is ordered by its I/O priority.` });
    }
    if (m.cpuCapPercent !== undefined) {
      sink.decide({ ...base, change: { op: 'cpuCap', value: m.cpuCapPercent }, undo: { op: 'cpuCap', value: null }, reason: `Rule "${rule}" caps ${p.name} at ${m.cpuCapPercent}% of a core.`, numbers: { cpuCapPercent: m.cpuCapPercent, cpuPercent: round(p.cpuPercent, 2) }, expectedEffect: `${p.name} never uses more than ${m.cpuCapPercent}% of a core.` });
    }
    if (m.memoryLimitBytes !== undefined && m.memoryLimitWhen === 'always') {
      memoryLimited.add(processKey(p));
      sink.decide({ ...base, change: { op: 'memoryLimit', value: m.memoryLimitBytes }, undo: { op: 'memoryLimit', value: null }, reason: `Rule "${rule}" sets a soft memory limit of ${round(m.memoryLimitBytes / 1048576, 0)} MiB for ${p.name}.`, numbers: { limitBytes: m.memoryLimitBytes, rssBytes: p.rssBytes }, expectedEffect: `${p.name} is reclaimed above the limit.` });
    }
  }

  function switchProfile(profileId: string, at: number, cause: string): EngineEvent[] {
    if (!rules.profiles.some((p) => p.id === profileId)) return [];
    policy = compilePolicy(rules, profileId);
    return [{ type: 'profile-changed', at, profileId, cause: cause.slice(0, 512) }];
  }

  function tickInner(sample: Sample, inputs: TickInputs): TickOutput {
    const at = sample.at;
    const events: EngineEvent[] = [];
    const alerts: Alert[] = [];
    const sink = new DecisionSink(at, mode, nextSeq);

    // Triggers may switch the profile for as long as they hold.
    const sysP90 = inputs.forecast ? Math.max(inputs.forecast.systemP90CpuPercent5s ?? -Infinity, inputs.forecast.systemP90CpuPercent30s ?? -Infinity) : undefined;
    for (const tr of triggers.update(sample, sysP90 !== undefined && Number.isFinite(sysP90) ? { forecastSystemCpuP90Percent: sysP90 } : {})) {
      events.push({ type: 'trigger', at, triggerId: tr.trigger.id, state: tr.state, ...(tr.value !== undefined && Number.isFinite(tr.value) ? { value: tr.value } : {}) });
      if (tr.state === 'fired' && tr.trigger.activateProfile && !triggerProfile) {
        triggerProfile = { triggerId: tr.trigger.id, profileId: tr.trigger.activateProfile };
        events.push(...switchProfile(tr.trigger.activateProfile, at, `trigger "${tr.trigger.id}" fired`));
      } else if (tr.state === 'cleared' && triggerProfile?.triggerId === tr.trigger.id) {
        triggerProfile = undefined;
        events.push(...switchProfile(manualProfileId, at, `trigger "${tr.trigger.id}" cleared`));
      }
    }
    if (inputs.foregroundPid === undefined && inputs.foregroundUnavailableReason && firstTick) {
      events.push({ type: 'degraded', at, what: 'foreground', reason: inputs.foregroundUnavailableReason.slice(0, 1024) });
    }

    // The identical object as last tick means the process did not change.
    index.update(sample.processes);
    const unchanged = index.unchanged;
    classes = classifier.classify(
      sample,
      {
        ...(inputs.foregroundPid !== undefined ? { foregroundPid: inputs.foregroundPid } : {}),
        ...(inputs.userIdleMs !== undefined ? { userIdleMs: inputs.userIdleMs } : {}),
        ...(config.selfPid !== undefined ? { selfPid: config.selfPid } : {}),
      },
      policy,
      profiles,
      index,
    );
    updateProfiles(profiles, sample, classes, unchanged);

    // Housekeeping on existing restraints.
    for (const r of [...ledger.restraints.values()]) {
      const p = index.get(r.key);
      if (!p) {
        ledger.forget(r.key, at);
        continue;
      }
      if (r.status === 'applied' && p.nice !== r.appliedNice) {
        ledger.forget(r.key, at);
        ledger.memoOf(r.key).backoffUntil = at + backoffMs;
        events.push({ type: 'backoff', at, target: r.target, message: `${p.name}'s nice changed to ${p.nice} (Allot had set ${r.appliedNice}); someone else changed it, so Allot backs off.` });
        continue;
      }
      const c = classes.get(r.key);
      if (mode !== 'off' && c && (c.class === 'foreground' || c.untouchable)) {
        ledger.restore(sink, r.key, r.source, {
          reason: `${p.name} is now ${c.class === 'foreground' ? 'in the foreground' : 'protected'} (${c.reason}): restoring its priority at once.`,
          numbers: { cpuPercent: round(p.cpuPercent, 2) },
          expectedEffect: `${p.name} gets its full share back.`,
        }, false);
      }
    }

    const newLeakVerdicts = leakDetector.update(sample);
    for (const v of newLeakVerdicts) leaks.set(v.key, v);
    for (const k of leaks.keys()) if (!index.has(k)) leaks.delete(k);

    if (mode !== 'off') {
      // Act where the load lives: a session of background work is lowered as a whole, and its
      // members are then left to it (per-process steps inside a lowered session add nothing).
      const who = { ...(inputs.foregroundPid !== undefined ? { foregroundPid: inputs.foregroundPid } : {}), ...(config.selfPid !== undefined ? { selfPid: config.selfPid } : {}) };
      events.push(...sessions.tick({ sample, classes, ledger, sink, thresholds: policy.thresholds, index, enabled: policy.profile.balancerEnabled, backoffMs, ...who }));
      const inLoweredSession = (p: ProcessSample) => sessions.restrains(p.autogroup);

      // Rules for processes seen for the first time; known programs at launch. A process is first
      // seen in the sample after it started, with no CPU rate yet (rates need two samples): what
      // is known about it at that moment is its program's profile, so launch actions use that.
      const launched: ProcessSample[] = [];
      const knownBatch: { p: ProcessSample; share: number; samples: number }[] = [];
      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        const key = processKey(p);
        if (seen.has(key)) continue;
        seen.add(key);
        const c = classes.get(key);
        if (!c) continue;
        ruleDecisions(sink, p, c);
        if (firstTick || rescan || c.class === 'system' || c.untouchable) continue;
        launched.push(p);
        if (ruleOwnsNice(c.policy)) continue;
        const pr = profiles.programs.get(programKey(p));
        const learned = pr ? learnedClass(pr, knownMinSamples) : undefined;
        if (!learned || learned.share < knownMinShare || learned.class !== 'batch') continue;
        if (p.nice < TIER_DEFAULTS.batch.nice && !ledger.get(key) && !ledger.backedOff(key, at)) knownBatch.push({ p, share: learned.share, samples: pr!.samples });
      }
      if (knownBatch.length) {
        // The contention these launches would cause, from the profiles (the feedback loop's
        // counterfactual: no "before" with these processes running exists).
        const { load } = buildLoad({ sample, classes, profiles, ...(inputs.forecast ? { forecast: inputs.forecast } : {}), launched, minProfileSamples: knownMinSamples });
        const cores = coreCount(sample);
        const model = { bySession: inputs.niceRanksAcrossSessions === false };
        const predicted = meanProtectedWaitMsPerSec(load, cores, undefined, model);
        // One step, or more when the load model says the deeper step still pays (chooseDepth).
        const maxSteps = Math.min(...knownBatch.map((k) => ledger.maxStepsFor(processKey(k.p), at, policy.thresholds.maxSteps)));
        const depth = maxSteps >= 1 ? chooseDepth(load, cores, new Set(knownBatch.map((k) => processKey(k.p))), policy.thresholds.niceStep, maxSteps, model) : 1;
        const lowered = new Map(knownBatch.map((k) => [processKey(k.p), Math.min(19, k.p.nice + depth * policy.thresholds.niceStep)] as const));
        const predictedAfter = meanProtectedWaitMsPerSec(load, cores, (e) => lowered.get(e.key) ?? e.nice, model);
        for (const { p, share, samples } of knownBatch) {
          // A program the profile knows as batch work: lower it now, not after the reactive threshold.
          ledger.restrain(sink, p, 'planner', lowered.get(processKey(p))!, {
            reason: `${p.name} started; its profile says it is batch work (${round(share * 100, 0)}% of ${samples} samples): lowering it at once${depth > 1 ? ` by ${depth} steps (the load model says the deeper step still pays)` : ''} instead of waiting for contention.`,
            numbers: {
              batchShare: round(share, 3),
              profileSamples: samples,
              launch: 1,
              steps: depth,
              ...(predicted !== undefined ? { predictedProtectedWaitMsPerSec: round(predicted, 3) } : {}),
              ...(predictedAfter !== undefined ? { predictedProtectedWaitAfterMsPerSec: round(predictedAfter, 3) } : {}),
            },
            expectedEffect: `${p.name} yields CPU to interactive programs from its first second.`,
          }, depth);
        }
      }

      const confidence = (programId: string) => feedback.confidence(programId, at);
      for (const effect of feedback.tick(sample, classes, ledger, sink)) events.push({ type: 'effect', at, effect });

      const tenantResult = tenants.tick({ sample, tenants: rules.tenants, classes, ledger, sink, thresholds: policy.thresholds, enforce: true });
      tenantUsage = tenantResult.usage;
      alerts.push(...tenantResult.alerts);

      if (policy.profile.balancerEnabled) {
        balancer.tick({ sample, classes, ledger, sink, thresholds: policy.thresholds, confidence, preferred: tenantResult.overBudgetKeys, exclude: inLoweredSession });
        // A tree that keeps spawning busy children is restrained at its root.
        tree.tick({ sample, classes, ledger, sink, thresholds: policy.thresholds, index, exclude: inLoweredSession, ...who });
      }
      const knownLaunch = launched.some((p) => profileCpuPercent(profiles, p, 'p50', knownMinSamples) !== undefined);
      if (policy.profile.plannerEnabled && (inputs.forecast || knownLaunch)) {
        plan({
          sample,
          classes,
          ledger,
          sink,
          profile: policy.profile,
          ...(inputs.forecast ? { forecast: inputs.forecast } : {}),
          profiles,
          confidence,
          launched,
          options: {
            niceStep: policy.thresholds.niceStep,
            minRestrainedMs: policy.thresholds.minRestrainedMs,
            minProfileSamples: knownMinSamples,
            maxSteps: policy.thresholds.maxSteps,
            minStepIntervalMs: Math.max(policy.thresholds.perProcessMinIntervalMs, policy.thresholds.overForMs),
            globalMaxActions: policy.thresholds.globalMaxActions,
            globalWindowMs: policy.thresholds.globalWindowMs,
            bySession: inputs.niceRanksAcrossSessions === false,
            ...config.planner,
          },
        });
      }
      alerts.push(...memoryGuard.tick(sample, planMemory({ sample, classes, leaks, sink, limited: memoryLimited, ...(config.planner ? { options: config.planner } : {}) })));
    } else {
      for (const p of sample.processes) seen.add(processKey(p));
    }

    alerts.push(...anomalies.tick(sample, profiles, newLeakVerdicts, index));

    // Deleting the entry being visited is safe while iterating a Set.
    for (const k of seen) if (!index.has(k)) seen.delete(k);
    for (const k of memoryLimited) if (!index.has(k)) memoryLimited.delete(k);
    ledger.prune(index);

    const decisions = sink.decisions;
    remember(decisions);
    for (const d of decisions) events.push({ type: 'decision', at, decision: d });
    for (const a of alerts) events.push({ type: 'alert', at, alert: a });
    firstTick = false;
    if (mode !== 'off') rescan = false;
    lastAt = at;
    return { decisions, alerts, events };
  }

  const engine: Engine = {
    profiles,
    bus,
    tick(sample, inputs = {}) {
      if (lastAt !== undefined && !(sample.at >= lastAt)) {
        const out: TickOutput = { decisions: [], alerts: [], events: [{ type: 'degraded', at: lastAt, what: 'sample', reason: `sample at ${sample.at} is older than the previous one (${lastAt}); ignored` }] };
        publish(out.events);
        return out;
      }
      let out: TickOutput;
      try {
        out = tickInner(sample, inputs);
      } catch (error) {
        out = { decisions: [], alerts: [], events: [{ type: 'degraded', at: sample.at, what: 'engine', reason: `internal error: ${(error as Error)?.message ?? String(error)}`.slice(0, 1024) }] };
      }
      publish(out.events);
      return out;
    },
    onResults(results) {
      const events: EngineEvent[] = [];
      for (const res of results) {
        if (sessions.onResult(res, backoffMs)) {
          if (res.status === 'failed' || res.status === 'unsupported') events.push({ type: 'action-failed', at: res.at, decisionId: res.decisionId, message: (res.message ?? res.status).slice(0, 1024) });
          continue;
        }
        const d = recentDecisions.get(res.decisionId);
        const r = ledger.findByDecision(res.decisionId);
        if (res.status === 'applied') {
          if (r && r.status === 'pending') r.status = 'applied';
          if (d) feedback.applied(d, res.at);
          continue;
        }
        if (r) {
          ledger.forget(r.key, res.at);
          if (res.status !== 'gone') ledger.memoOf(r.key).backoffUntil = res.at + backoffMs;
        }
        if (res.status === 'failed' || res.status === 'unsupported') {
          events.push({ type: 'action-failed', at: res.at, decisionId: res.decisionId, message: (res.message ?? res.status).slice(0, 1024) });
        }
      }
      publish(events);
      return events;
    },
    setMode(next, at) {
      const events: EngineEvent[] = [];
      const sink = new DecisionSink(at, next, nextSeq);
      if (next !== mode) {
        for (const r of [...ledger.restraints.values()]) {
          if (r.status === 'advised') ledger.forget(r.key, at);
          else if (next !== 'auto') {
            ledger.restore(sink, r.key, r.source, { reason: `Engine switched to ${next}: restoring ${r.target.name}.`, numbers: {}, expectedEffect: `${r.target.name} is back to its original priority.` }, false);
          }
        }
        if (next !== 'auto') sessions.restoreAll(sink, (name) => `Engine switched to ${next}: restoring ${name}'s session.`);
        mode = next;
        // Rules act on the processes already running too (a process started before the switch to
        // Auto kept nice 0 while one started after got the rule's 19).
        seen.clear();
        rescan = true;
        events.push({ type: 'mode-changed', at, mode });
      }
      remember(sink.decisions);
      for (const d of sink.decisions) events.push({ type: 'decision', at, decision: d });
      publish(events);
      return { decisions: sink.decisions, alerts: [], events };
    },
    setRules(file) {
      rules = file;
      triggers.setTriggers(file.triggers);
      if (!file.profiles.some((p) => p.id === manualProfileId)) manualProfileId = file.activeProfile;
      if (triggerProfile && !file.profiles.some((p) => p.id === triggerProfile!.profileId)) triggerProfile = undefined;
      policy = compilePolicy(rules, activeProfileId());
      seen.clear();
      rescan = true;
    },
    setProfile(profileId, at) {
      if (!rules.profiles.some((p) => p.id === profileId)) return [];
      manualProfileId = profileId;
      if (triggerProfile) return [];
      const events = switchProfile(profileId, at, 'chosen by the user');
      publish(events);
      return events;
    },
    restoreAll(at) {
      const sink = new DecisionSink(at, mode, nextSeq);
      for (const r of [...ledger.restraints.values()]) {
        if (r.status === 'advised') ledger.forget(r.key, at);
        else ledger.restore(sink, r.key, r.source, { reason: `Allot is stopping: restoring ${r.target.name}.`, numbers: {}, expectedEffect: `${r.target.name} is back to its original priority.` }, false);
      }
      sessions.restoreAll(sink, (name) => `Allot is stopping: restoring ${name}'s session.`);
      remember(sink.decisions);
      return sink.decisions;
    },
    classification(pid) {
      const p = index.byPid(pid);
      return p ? classes.get(processKey(p)) : undefined;
    },
    inLoweredSession(pid) {
      return sessions.restrains(index.byPid(pid)?.autogroup);
    },
    watchesLaunchOf(name) {
      return mode === 'auto' && policy.lowersAtLaunch(name);
    },
    state() {
      return { mode, profileId: policy.profile.id, restraints: [...ledger.restraints.values()].map((r) => ({ ...r, target: { ...r.target } })), sessions: sessions.list(), tenants: tenantUsage, ...(lastAt !== undefined ? { lastAt } : {}) };
    },
    effectOf(decisionId) {
      return feedback.effects.get(decisionId);
    },
  };
  return engine;
}
