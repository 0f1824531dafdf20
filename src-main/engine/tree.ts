// Act where the load lives: restrain the root of a build or a fork storm, so children inherit it.
// A build is many short-lived compiler processes (each lives seconds) and a fork storm's children live
// milliseconds: per-process restraints cannot keep up (each new process needs a new decision), so
// when a process tree keeps spawning busy background children under contention, its ancestors inside
// the same session (autogroup; the direct parent only when the autogroup is unknown) are lowered one
// step. Children forked afterwards inherit the nice and, with the core's cross-session weight, the
// ancestor's cgroup (platform/cgroup.linux.ts: a child stays in its parent's group), so one decision
// restrains the whole build. Deepened one step at a time while the storm goes on (at most maxSteps),
// restored by the balancer's rule (source 'balancer': once its demand is low, the hold is over and the
// machine is no longer contended). Never: untouchable, system or foreground processes, an ancestor of
// the foreground or of Allot, PID 1, or a process whose nice a rule owns. Pure.
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { BalancerThresholds } from '../../src-shared/rules';
import { processKey, round } from './common';
import { indexOf, type ProcessIndex } from './process-index';
import type { Classification } from './classify';
import type { DecisionSink, Ledger } from './ledger';
import { ruleOwnsNice } from './policy';

export interface TreeOptions {
  /** New descendants within `windowMs` that make a tree a build or a fork storm. */
  minSpawns: number;
  windowMs: number;
}

export const DEFAULT_TREE_OPTIONS: TreeOptions = { minSpawns: 3, windowMs: 10_000 };

export interface TreeContext {
  sample: Sample;
  classes: ReadonlyMap<string, Classification>;
  ledger: Ledger;
  sink: DecisionSink;
  thresholds: BalancerThresholds;
  foregroundPid?: number;
  /** The tick's process index (the engine's); built from the sample when absent. */
  index?: ProcessIndex;
  selfPid?: number;
  /** Ancestors not to restrain (members of a session lowered as a whole). */
  exclude?: (p: ProcessSample) => boolean;
}

export interface TreeRestrainer {
  tick(ctx: TreeContext): void;
}

export function createTreeRestrainer(options: Partial<TreeOptions> = {}): TreeRestrainer {
  const o = { ...DEFAULT_TREE_OPTIONS, ...options };
  const known = new Set<string>();
  /** Ancestor key -> times a new descendant was first seen. */
  const spawns = new Map<string, number[]>();
  let first = true;

  return {
    tick({ sample, classes, ledger, sink, thresholds: t, foregroundPid, selfPid, exclude, index = indexOf(sample.processes) }) {
      const at = sample.at;
      const byPid = index.byPid;
      /** Ancestors inside the process's session, nearest first. */
      const ancestors = (p: ProcessSample): ProcessSample[] => {
        const out: ProcessSample[] = [];
        let cur = p;
        for (let depth = 0; depth < 64; depth++) {
          const parent = byPid(cur.ppid);
          if (!parent || parent.pid <= 1) break;
          if (p.autogroup === undefined || parent.autogroup === undefined) {
            if (depth === 0) out.push(parent);
            break;
          }
          if (parent.autogroup !== p.autogroup) break;
          out.push(parent);
          cur = parent;
        }
        return out;
      };
      const shielded = new Set<number>();
      for (const pid of [foregroundPid, selfPid]) {
        let p = pid !== undefined ? byPid(pid) : undefined;
        for (let i = 0; p && i < 64; i++) {
          shielded.add(p.pid);
          p = byPid(p.ppid);
        }
      }
      const live = index;
      const busyUnder = new Map<string, number>();
      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        const key = processKey(p);
        const c = classes.get(key);
        const background = c && !c.untouchable && !c.protected && c.class !== 'foreground' && c.class !== 'system' && c.class !== 'interactive';
        const isNew = !known.has(key);
        if (isNew) known.add(key);
        if (!background) continue;
        // Its ancestors matter only when it is a new descendant or a busy one.
        if (!(isNew && !first) && !(p.cpuPercent > 0)) continue;
        const up = ancestors(p);
        for (const a of up) {
          const ak = processKey(a);
          if (isNew && !first) spawns.set(ak, [...(spawns.get(ak) ?? []).filter((s) => at - s < o.windowMs), at]);
          if (p.cpuPercent > 0) busyUnder.set(ak, (busyUnder.get(ak) ?? 0) + p.cpuPercent);
        }
      }
      for (const k of known) if (!live.has(k)) known.delete(k);
      for (const [k, times] of spawns) {
        const recent = times.filter((s) => at - s < o.windowMs);
        if (!live.has(k) || recent.length === 0) spawns.delete(k);
        else spawns.set(k, recent);
      }
      first = false;
      if (sample.system.cpuPercent < t.systemCpuPercent) return;
      for (const [ak, times] of spawns) {
        const busy = busyUnder.get(ak) ?? 0;
        if (times.length < o.minSpawns || busy < t.processCpuPercent) continue;
        const a = index.get(ak);
        if (!a || shielded.has(a.pid) || exclude?.(a)) continue;
        const c = classes.get(ak);
        if (!c || c.untouchable || c.protected || c.class === 'foreground' || c.class === 'system' || ruleOwnsNice(c.policy) || ledger.backedOff(ak, at)) continue;
        if (!ledger.canAct(at, t.globalMaxActions, t.globalWindowMs)) return;
        const r = ledger.get(ak);
        const why = {
          reason: `${a.name} started ${times.length} background processes in ${round(o.windowMs / 1000, 0)} s that use ${round(busy, 0)}% of a core together while the machine is at ${round(sample.system.cpuPercent, 0)}%: lowering ${a.name}${r ? ' another step' : ''}, so what it starts next inherits the restraint (short-lived children escape per-process actions).`,
          numbers: { spawns: times.length, windowMs: o.windowMs, descendantsCpuPercent: round(busy, 1), systemCpuPercent: round(sample.system.cpuPercent, 1) },
          expectedEffect: `Every process ${a.name} starts from now on runs lowered; restored with ${a.name} when the contention is over.`,
        };
        if (!r) {
          if (a.nice >= 19) continue;
          ledger.restrain(sink, a, 'balancer', Math.min(19, a.nice + t.niceStep), why);
        } else if (
          (r.source === 'balancer' || r.source === 'planner') &&
          r.appliedNice < 19 &&
          r.steps < ledger.maxStepsFor(ak, at, t.maxSteps) &&
          at - r.lastActionAt >= Math.max(t.perProcessMinIntervalMs, t.overForMs)
        ) {
          ledger.restrain(sink, a, 'balancer', Math.min(19, r.appliedNice + t.niceStep), why);
        }
      }
    },
  };
}
