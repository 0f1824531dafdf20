// Learned program profiles as the contract shows them: quantile summaries with nulls where nothing
// was measured, and the launch probabilities beside them. Pure.
import type { ProgramProfileSummary, ProgramProfileView } from '../../src-shared/contract';
import { coStartPartners, type ProfileStore, type ProgramProfile } from '../engine/profiles';
import { qsSummary, type QuantileSet } from '../engine/quantiles';
import type { LaunchView } from './launch-recorder';

/** A quantile set for the contract: count and mean, quantiles and max null while empty or not finite. */
export function quantiles(set: QuantileSet) {
  const summary = qsSummary(set);
  const finite = (value: number) => (Number.isFinite(value) && set.count > 0 ? value : null);
  return {
    count: summary.count,
    mean: Number.isFinite(summary.mean) ? summary.mean : 0,
    p50: finite(summary.p50),
    p90: finite(summary.p90),
    p99: finite(summary.p99),
    max: set.count > 0 && Number.isFinite(set.max) ? set.max : null,
  };
}

export function profileView(profile: ProgramProfile, profiles: ProfileStore, launch: LaunchView): ProgramProfileView {
  return {
    programId: profile.programId,
    name: profile.name,
    samples: profile.samples,
    launches: profile.launches,
    firstSeenAt: profile.firstSeenAt,
    lastSeenAt: profile.lastSeenAt,
    metrics: Object.fromEntries(Object.entries(profile.metrics).map(([metric, set]) => [metric, quantiles(set)])),
    lifetimeMs: quantiles(profile.lifetimeMs),
    classCounts: { ...profile.classCounts },
    runningHourOfWeek: [...profile.runningHourOfWeek],
    startsHourOfWeek: [...profile.startsHourOfWeek],
    launch,
    coStarts: coStartPartners(profiles, profile.programId).slice(0, 20),
  };
}

/** The programs seen most recently (then with the most samples) first, at most `limit`. */
export function profileSummaries(profiles: ProfileStore, limit: number, launchOf: (programId: string) => LaunchView): ProgramProfileSummary[] {
  return [...profiles.programs.values()]
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt || b.samples - a.samples)
    .slice(0, limit)
    .map((profile) => {
      const cpu = quantiles(profile.metrics.cpuPercent);
      const rss = quantiles(profile.metrics.rssBytes);
      return {
        programId: profile.programId,
        name: profile.name,
        samples: profile.samples,
        launches: profile.launches,
        lastSeenAt: profile.lastSeenAt,
        launch: launchOf(profile.programId),
        cpuP50: cpu.p50,
        cpuP90: cpu.p90,
        rssP90: rss.p90,
      };
    });
}
