// Launch probabilities: how likely a program is to start within the next 5 min / 1 h / 1 day, from the
// timestamps of its past starts. Pure.
//
// Two parts, combined as independent chances: P = 1 - (1 - P_week) (1 - P_recent).
// - Weekly pattern (P_week), from two estimates with the same decay (weight 0.5^(age / halfLifeDays)):
//   * an hour-of-week histogram: starts counted per hour-of-week bin (168 bins, local time given by
//     utcOffsetMinutes), divided by the bin's decayed exposure (hours of it observed since
//     `observedSinceMs`), shrunk towards the overall rate and smoothed over neighbouring bins
//     (1/4, 1/2, 1/4). Integrated over the window it gives expected starts; P_hist = 1 - exp(-expected)
//     (a Poisson process with a weekly-periodic rate). It generalises from little data but understates
//     regular habits (a start every weekday at 9:00 is not Poisson);
//   * the weekly hit rate: over the past weeks observed, the decayed fraction whose same window (same
//     offset into the week) contained a start. Exact for regular habits once a few weeks are seen.
//   P_week = (hits + priorWeeks P_hist) / (weeks + priorWeeks): the histogram is the prior, worth
//   `priorWeeks` weeks of evidence, and the hit rate takes over as weeks accumulate.
// - Recency (P_recent): programs often start again shortly after a start (restarts, bursts). From the
//   decayed distribution of gaps between consecutive starts, P_recent is the chance the current gap
//   (time since the last start, d) ends within the window: weight of gaps in (d, d + W] (only gaps up to
//   recencyMaxGapMs count) over weight of all gaps > d. Zero once d exceeds recencyMaxGapMs.

export interface LaunchOptions {
  /** Starts lose half their weight after this many days (default 28). */
  halfLifeDays?: number;
  /** Local-time offset for hour-of-week bins (default 0 = UTC). */
  utcOffsetMinutes?: number;
  /** When observation began (default: the first start). Hours before it do not count as exposure. */
  observedSinceMs?: number;
  /** Gaps longer than this are not "recent restarts" (default 2 h). */
  recencyMaxGapMs?: number;
  /** Weight (in observed hours) of the shrinkage towards the overall rate (default 2). */
  priorHours?: number;
  /** Ignore starts older than this many days (default 182). */
  maxHistoryDays?: number;
  /** Weight, in weeks, of the histogram estimate against the weekly hit rate (default 1). */
  priorWeeks?: number;
}

export interface LaunchProbabilities {
  within5MinP: number;
  within1HourP: number;
  within1DayP: number;
  /** Decayed number of starts the estimate rests on (UI can grey out weak estimates). */
  evidence: number;
}

const HOUR_MS = 3_600_000;
const WEEK_HOURS = 168;
const WEEK_MS = WEEK_HOURS * HOUR_MS;

/** Index of the first element >= t in an ascending array. */
function lowerBound(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const WINDOWS_MS = [5 * 60_000, HOUR_MS, 24 * HOUR_MS] as const;

function hourOfWeek(tMs: number, offsetMs: number): number {
  // 1970-01-01 was a Thursday; shift so bin 0 = Monday 00:00 local.
  const hours = Math.floor((tMs + offsetMs) / HOUR_MS);
  return (((hours + 72) % WEEK_HOURS) + WEEK_HOURS) % WEEK_HOURS;
}

/** Probability of at least one start in the next 5 min, 1 h and 1 day. Throws on a non-finite nowMs. */
export function launchProbabilities(startsMs: readonly number[], nowMs: number, options: LaunchOptions = {}): LaunchProbabilities {
  if (!Number.isFinite(nowMs)) throw new RangeError(`launchProbabilities: nowMs must be finite, got ${nowMs}`);
  const halfLifeMs = (options.halfLifeDays ?? 28) * 24 * HOUR_MS;
  const offsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
  const maxGapMs = options.recencyMaxGapMs ?? 2 * HOUR_MS;
  const priorHours = options.priorHours ?? 2;
  const oldest = nowMs - (options.maxHistoryDays ?? 182) * 24 * HOUR_MS;
  const starts = startsMs.filter((t) => Number.isFinite(t) && t <= nowMs && t >= oldest).sort((a, b) => a - b);
  if (starts.length === 0) return { within5MinP: 0, within1HourP: 0, within1DayP: 0, evidence: 0 };
  const decay = (ageMs: number) => Math.pow(0.5, ageMs / halfLifeMs);

  // Decayed counts per bin.
  const counts = new Float64Array(WEEK_HOURS);
  let evidence = 0;
  for (const t of starts) {
    const w = decay(nowMs - t);
    counts[hourOfWeek(t, offsetMs)] = counts[hourOfWeek(t, offsetMs)]! + w;
    evidence += w;
  }
  // Decayed exposure per bin, in hours.
  const exposure = new Float64Array(WEEK_HOURS);
  const since = Math.max(oldest, Math.min(options.observedSinceMs ?? starts[0]!, starts[0]!));
  let h = Math.floor(since / HOUR_MS) * HOUR_MS;
  for (; h < nowMs; h += HOUR_MS) {
    const from = Math.max(h, since);
    const to = Math.min(h + HOUR_MS, nowMs);
    if (to <= from) continue;
    const b = hourOfWeek(h, offsetMs);
    exposure[b] = exposure[b]! + ((to - from) / HOUR_MS) * decay(nowMs - (from + to) / 2);
  }
  let totalCount = 0;
  let totalExposure = 0;
  for (let b = 0; b < WEEK_HOURS; b++) {
    totalCount += counts[b]!;
    totalExposure += exposure[b]!;
  }
  const overallRate = totalExposure > 0 ? totalCount / totalExposure : 0;
  const rate = new Float64Array(WEEK_HOURS);
  for (let b = 0; b < WEEK_HOURS; b++) {
    const prev = (b + WEEK_HOURS - 1) % WEEK_HOURS;
    const next = (b + 1) % WEEK_HOURS;
    const c = 0.25 * counts[prev]! + 0.5 * counts[b]! + 0.25 * counts[next]!;
    const e = 0.25 * exposure[prev]! + 0.5 * exposure[b]! + 0.25 * exposure[next]!;
    rate[b] = (c + priorHours * overallRate) / (e + priorHours);
  }
  const expectedStarts = (windowMs: number): number => {
    let sum = 0;
    let t = nowMs;
    const end = nowMs + windowMs;
    while (t < end) {
      const hourEnd = (Math.floor((t + offsetMs) / HOUR_MS) + 1) * HOUR_MS - offsetMs;
      const to = Math.min(hourEnd, end);
      sum += rate[hourOfWeek(t, offsetMs)]! * ((to - t) / HOUR_MS);
      t = to;
    }
    return sum;
  };

  // Recency: decayed gap distribution.
  const sinceLast = nowMs - starts[starts.length - 1]!;
  const recent = (windowMs: number): number => {
    if (starts.length < 3 || sinceLast >= maxGapMs) return 0;
    let inWindow = 0;
    let longer = 0;
    for (let i = 1; i < starts.length; i++) {
      const gap = starts[i]! - starts[i - 1]!;
      if (gap <= sinceLast) continue;
      const w = decay(nowMs - starts[i]!);
      longer += w;
      if (gap <= sinceLast + windowMs && gap <= maxGapMs) inWindow += w;
    }
    return longer > 0 ? inWindow / longer : 0;
  };

  // Weekly hit rate: did the same window k weeks ago contain a start?
  const priorWeeks = options.priorWeeks ?? 1;
  const hitRate = (windowMs: number, pHist: number): number => {
    let hits = 0;
    let weeks = 0;
    for (let k = 1; ; k++) {
      const from = nowMs - k * WEEK_MS;
      if (from < since) break;
      const w = decay(k * WEEK_MS);
      const i = lowerBound(starts, from);
      // Window (from, from + W]; starts exactly at `from` count for the previous window.
      const j = i < starts.length && starts[i] === from ? i + 1 : i;
      weeks += w;
      if (j < starts.length && starts[j]! <= from + windowMs) hits += w;
    }
    return (hits + priorWeeks * pHist) / (weeks + priorWeeks);
  };

  const [p5, p60, pDay] = WINDOWS_MS.map((w) => {
    const week = hitRate(w, 1 - Math.exp(-expectedStarts(w)));
    return 1 - (1 - week) * (1 - recent(w));
  }) as [number, number, number];
  return { within5MinP: p5, within1HourP: p60, within1DayP: pDay, evidence };
}
