// Anomaly detection with evidence: runaway CPU (a process pinned near a full core for long, when
// its profile says it usually is not), memory leaks (from the leak detector), fork storms (system
// forks per second, or one parent's child count growing fast), and behaviour far outside the
// program's profile (robust z-score against the profile's quantiles, sustained). One alert per
// (kind, process) per cooldown. Pure.
import type { Sample } from '../../src-shared/domain';
import type { Alert, AlertKind } from '../../src-shared/engine';
import { processKey, programKey, round, targetOf } from './common';
import { indexOf, type ProcessIndex } from './process-index';
import type { LeakVerdict } from './memory';
import { metricValues, type ProfileMetric, type ProfileStore } from './profiles';
import { qsSummary, robustZ } from './quantiles';

export interface AnomalyOptions {
  runawayCpuPercent: number;
  runawayForMs: number;
  /** A profile whose p90 CPU is at least this is "usually busy": no runaway alert. */
  runawayProfileP90Percent: number;
  forksPerSec: number;
  forkStormForMs: number;
  /** Children gained by one parent within `childWindowMs` that counts as a storm. */
  childGrowth: number;
  childWindowMs: number;
  outsideZ: number;
  outsideForMs: number;
  minProfileSamples: number;
  /** Floors for the spread used by the z-score, per metric, so flat profiles do not alert on noise. */
  minSigma: Record<ProfileMetric, number>;
  cooldownMs: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = {
  runawayCpuPercent: 90,
  runawayForMs: 60_000,
  runawayProfileP90Percent: 80,
  forksPerSec: 300,
  forkStormForMs: 3_000,
  childGrowth: 100,
  childWindowMs: 10_000,
  outsideZ: 6,
  outsideForMs: 10_000,
  minProfileSamples: 300,
  minSigma: { cpuPercent: 5, rssBytes: 16 * 1024 * 1024, ioBytesPerSec: 1024 * 1024, syscallsPerSec: 200, ctxSwitchesPerSec: 200 },
  cooldownMs: 300_000,
};

export interface AnomalyDetector {
  /** `index`: the tick's process index (the engine's; built from the sample when absent, then nothing counts as unchanged). */
  tick(sample: Sample, profiles: ProfileStore, leakVerdicts: readonly LeakVerdict[], index?: ProcessIndex): Alert[];
}

export function createAnomalyDetector(options: Partial<AnomalyOptions> = {}): AnomalyDetector {
  const o = { ...DEFAULT_ANOMALY_OPTIONS, ...options, minSigma: { ...DEFAULT_ANOMALY_OPTIONS.minSigma, ...options.minSigma } };
  const pinnedSince = new Map<string, number>();
  const outsideSince = new Map<string, number>();
  const lastAlert = new Map<string, number>();
  const childHistory = new Map<number, { at: number; count: number }[]>();
  let forkSince: number | undefined;
  let ticks = 0;

  const emit = (alerts: Alert[], at: number, kind: AlertKind, dedupeKey: string, alert: Omit<Alert, 'id' | 'at' | 'kind'>) => {
    const k = `${kind}:${dedupeKey}`;
    const last = lastAlert.get(k);
    if (last !== undefined && at - last < o.cooldownMs) return;
    lastAlert.set(k, at);
    alerts.push({ id: `${kind}-${at}-${dedupeKey}`.slice(0, 128), at, kind, ...alert });
  };

  return {
    tick(sample, profiles, leakVerdicts, index = indexOf(sample.processes)) {
      const at = sample.at;
      const alerts: Alert[] = [];
      const unchanged = index.unchanged;
      ticks++;

      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        if (p.kernelThread) continue;
        const key = processKey(p);
        const profile = profiles.programs.get(programKey(p));

        // Runaway CPU.
        if (p.cpuPercent >= o.runawayCpuPercent) {
          if (!pinnedSince.has(key)) pinnedSince.set(key, at - sample.intervalMs);
          const pinnedMs = at - pinnedSince.get(key)!;
          const p90 = profile && profile.samples >= o.minProfileSamples ? qsSummary(profile.metrics.cpuPercent).p90 : undefined;
          if (pinnedMs >= o.runawayForMs && (p90 === undefined || p90 < o.runawayProfileP90Percent)) {
            emit(alerts, at, 'runaway-cpu', key, {
              severity: 'warning',
              target: targetOf(p),
              message: `${p.name} (pid ${p.pid}) has used ${round(p.cpuPercent, 0)}% of a core for ${round(pinnedMs / 1000, 0)} s${p90 !== undefined ? `; it usually stays under ${round(p90, 0)}%` : ''}.`,
              evidence: { cpuPercent: round(p.cpuPercent, 2), pinnedMs, ...(p90 !== undefined ? { profileP90CpuPercent: round(p90, 2) } : {}) },
            });
          }
        } else pinnedSince.delete(key);

        // Behaviour far outside the profile. An unchanged process that was inside its profile last tick
        // is inside it now, unless the profile moved: that is checked every 10 ticks (staggered by
        // pid) instead of every tick.
        const stillInside = unchanged(p) && !outsideSince.has(key) && (p.pid + ticks) % 10 !== 0;
        if (profile && profile.samples >= o.minProfileSamples && !stillInside) {
          const values = metricValues(p);
          let worst: { metric: ProfileMetric; z: number; value: number } | undefined;
          for (const m of Object.keys(values) as ProfileMetric[]) {
            const v = values[m];
            if (v === undefined) continue;
            const z = robustZ(profile.metrics[m], v, o.minSigma[m]);
            if (z >= o.outsideZ && (!worst || z > worst.z)) worst = { metric: m, z, value: v };
          }
          if (worst) {
            if (!outsideSince.has(key)) outsideSince.set(key, at - sample.intervalMs);
            const forMs = at - outsideSince.get(key)!;
            if (forMs >= o.outsideForMs) {
              const s = qsSummary(profile.metrics[worst.metric]);
              emit(alerts, at, 'outside-profile', key, {
                severity: 'info',
                target: targetOf(p),
                message: `${p.name} (pid ${p.pid}): ${worst.metric} ${round(worst.value, 1)} is far above its usual ${round(s.p50, 1)} (p90 ${round(s.p90, 1)}), robust z ${round(worst.z, 1)}, for ${round(forMs / 1000, 0)} s.`,
                evidence: { value: round(worst.value, 2), profileP50: round(s.p50, 2), profileP90: round(s.p90, 2), robustZ: round(worst.z, 2), forMs, profileSamples: profile.samples },
              });
            }
          } else outsideSince.delete(key);
        }
      }

      // Leaks.
      for (const v of leakVerdicts) {
        if (!v.leaking) continue;
        const p = index.get(v.key);
        if (!p || p.kernelThread) continue;
        emit(alerts, at, 'memory-leak', v.key, {
          severity: 'warning',
          target: targetOf(p),
          message: `${p.name} (pid ${p.pid}) memory keeps growing: ${round(v.slopeBytesPerSec / 1024, 1)} KiB/s over ${round(v.spanMs / 60_000, 1)} min (R² ${round(v.r2, 2)}).`,
          evidence: {
            slopeBytesPerSec: round(v.slopeBytesPerSec, 0),
            r2: round(v.r2, 3),
            growthBytes: v.growthBytes,
            spanMs: v.spanMs,
            rssBytes: v.rssBytes,
            ...(v.timeToExhaustionMs !== undefined ? { timeToExhaustionMs: round(v.timeToExhaustionMs, 0) } : {}),
          },
        });
      }

      // Fork storm: system-wide rate.
      const forks = sample.system.forksPerSec;
      if (forks !== undefined && forks >= o.forksPerSec) {
        forkSince ??= at - sample.intervalMs;
        if (at - forkSince >= o.forkStormForMs) {
          emit(alerts, at, 'fork-storm', 'system', {
            severity: 'critical',
            message: `${round(forks, 0)} new processes per second for ${round((at - forkSince) / 1000, 1)} s (process count ${sample.system.processCount}).`,
            evidence: { forksPerSec: round(forks, 1), forMs: at - forkSince, processCount: sample.system.processCount },
          });
        }
      } else forkSince = undefined;

      // Fork storm: one parent's children growing fast.
      index.forEachParent((ppid, count) => {
        let h = childHistory.get(ppid);
        if (!h) {
          h = [];
          childHistory.set(ppid, h);
        }
        h.push({ at, count });
        while (h.length && at - h[0]!.at > o.childWindowMs) h.shift();
        const minCount = Math.min(...h.map((x) => x.count));
        const growth = count - minCount;
        const parent = index.byPid(ppid);
        if (growth >= o.childGrowth && parent && !parent.kernelThread && parent.pid !== 1) {
          emit(alerts, at, 'fork-storm', processKey(parent), {
            severity: 'critical',
            target: targetOf(parent),
            message: `${parent.name} (pid ${parent.pid}) gained ${growth} child processes in ${round(o.childWindowMs / 1000, 0)} s (now ${count}).`,
            evidence: { childGrowth: growth, children: count, windowMs: o.childWindowMs },
          });
        }
      });
      for (const ppid of childHistory.keys()) if (index.childCount(ppid) === 0) childHistory.delete(ppid);
      // Kernel threads are never tracked here, so a live key is enough.
      for (const key of pinnedSince.keys()) if (!index.has(key)) pinnedSince.delete(key);
      for (const key of outsideSince.keys()) if (!index.has(key)) outsideSince.delete(key);
      for (const [k, t] of lastAlert) if (at - t >= o.cooldownMs) lastAlert.delete(k);
      return alerts;
    },
  };
}
