// Memory-pressure guard, warn first (like systemd-oomd and earlyoom, but gentler): an EPISODE starts
// when memory runs short (the planner's time-to-exhaustion alert, or memory PSI "some" avg10 at or
// above `psiSomePercent`, or available memory under `minAvailableFraction` of total) and ends after
// `quietMs` without any of those. One alert when an episode starts and one more only if it escalates
// to critical, not one per tick (a simulated leak raised 181 alerts in 8 minutes before). Acting is
// left to rules (planMemory: a soft limit where a rule allows it); nothing is ever killed. Pure.
import type { Sample } from '../../src-shared/domain';
import type { Alert } from '../../src-shared/engine';
import { round } from './common';

export interface MemoryGuardOptions {
  psiSomePercent: number;
  minAvailableFraction: number;
  quietMs: number;
}

export const DEFAULT_MEMORY_GUARD: MemoryGuardOptions = { psiSomePercent: 10, minAvailableFraction: 0.05, quietMs: 120_000 };

export interface MemoryEpisode {
  since: number;
  lastSeenAt: number;
  severity: Alert['severity'];
  alerts: number;
}

export interface MemoryGuard {
  /** Filter this tick's memory-exhaustion alerts down to one per episode (plus an escalation). */
  tick(sample: Sample, alerts: readonly Alert[]): Alert[];
  episode(): MemoryEpisode | undefined;
}

export function createMemoryGuard(options: Partial<MemoryGuardOptions> = {}): MemoryGuard {
  const o = { ...DEFAULT_MEMORY_GUARD, ...options };
  let episode: MemoryEpisode | undefined;
  return {
    episode: () => (episode ? { ...episode } : undefined),
    tick(sample, alerts) {
      const at = sample.at;
      const mem = sample.system.memory;
      const psi = sample.system.psi?.memory?.someAvg10;
      const exhaustion = alerts.filter((a) => a.kind === 'memory-exhaustion');
      const others = alerts.filter((a) => a.kind !== 'memory-exhaustion');
      const lowAvailable = mem.totalBytes > 0 && mem.availableBytes / mem.totalBytes < o.minAvailableFraction;
      const pressured = psi !== undefined && psi >= o.psiSomePercent;
      const worst = exhaustion.find((a) => a.severity === 'critical') ?? exhaustion[0];
      if (!worst && !lowAvailable && !pressured) {
        if (episode && at - episode.lastSeenAt >= o.quietMs) episode = undefined;
        return others;
      }
      const severity: Alert['severity'] = worst?.severity === 'critical' || lowAvailable ? 'critical' : 'warning';
      const evidence = { availableBytes: mem.availableBytes, totalBytes: mem.totalBytes, ...(psi !== undefined ? { psiMemorySomeAvg10: round(psi, 2) } : {}), ...(worst?.evidence ?? {}) };
      const why = worst?.message ?? (lowAvailable ? `Only ${round((mem.availableBytes / mem.totalBytes) * 100, 1)}% of memory is available.` : `Memory pressure: tasks stalled on memory ${round(psi!, 1)}% of the last 10 s.`);
      if (!episode) {
        episode = { since: at, lastSeenAt: at, severity, alerts: 1 };
        return [...others, { id: `memory-episode-${at}`, at, kind: 'memory-exhaustion', severity, message: `Memory is running short: ${why} Allot acts only where a rule allows it (a soft limit) and never ends a process by default.`.slice(0, 2048), evidence }];
      }
      episode.lastSeenAt = at;
      if (severity === 'critical' && episode.severity !== 'critical') {
        episode.severity = 'critical';
        episode.alerts++;
        return [...others, { id: `memory-episode-${episode.since}-critical`, at, kind: 'memory-exhaustion', severity, message: `Memory shortage is getting worse: ${why}`.slice(0, 2048), evidence: { ...evidence, episodeSinceMs: at - episode.since } }];
      }
      return others;
    },
  };
}
