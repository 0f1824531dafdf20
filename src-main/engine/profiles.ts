// Behavioural profiles per program: streaming quantiles (P²) of per-process CPU, RSS, I/O, syscalls
// and context switches; typical lifetime; hour-of-week histograms of running time and of launches;
// which programs launch together (within 30 s); and which class the classifier usually gives it.
// Pure and serializable (profilesToJSON / profilesFromJSON) so the store can persist them.
import { z } from 'zod';
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { ProcessClass } from '../../src-shared/engine';
import { processKey, programKey, type Unchanged } from './common';
import { qsAdd, qsCreate, qsFromJSON, qsSummary, qsToJSON, type QuantileSet, type QuantileSummary } from './quantiles';

export const HOURS_PER_WEEK = 168;
export const PROFILE_METRICS = ['cpuPercent', 'rssBytes', 'ioBytesPerSec', 'syscallsPerSec', 'ctxSwitchesPerSec'] as const;
export type ProfileMetric = (typeof PROFILE_METRICS)[number];

export interface ProgramProfile {
  programId: string;
  name: string;
  /** Process-ticks observed. */
  samples: number;
  firstSeenAt: number;
  lastSeenAt: number;
  metrics: Record<ProfileMetric, QuantileSet>;
  /** Voluntary share of context switches (0..1): high for interactive, low for CPU-bound. */
  voluntaryShare: QuantileSet;
  lifetimeMs: QuantileSet;
  /** Seconds seen running per hour of week (0 = Monday 00:00 local). */
  runningHourOfWeek: number[];
  /** Launches per hour of week. */
  startsHourOfWeek: number[];
  launches: number;
  classCounts: Record<ProcessClass, number>;
}

export interface ProfileOptions {
  /** Local time offset from UTC in minutes (hour-of-week is local). Pure code cannot ask the OS. */
  utcOffsetMinutes: number;
  /** Two launches within this window count as a co-start pair. */
  coStartWindowMs: number;
  maxPrograms: number;
  maxPairs: number;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  utcOffsetMinutes: 0,
  coStartWindowMs: 30_000,
  maxPrograms: 5_000,
  maxPairs: 20_000,
};

interface LiveProcess {
  programId: string;
  startedAtMs: number;
  lastSeenAt: number;
  /** `ProfileStore.ticks` when last seen (a process not seen in this tick has ended). */
  seenTick: number;
}

/** An unchanged process's repeated values enter the quantile sketches once every this many ticks. */
export const QUIET_EVERY_TICKS = 5;

export interface ProfileStore {
  options: ProfileOptions;
  programs: Map<string, ProgramProfile>;
  /** "a\u0000b" (a < b) -> times launched within the co-start window of each other. */
  coStarts: Map<string, number>;
  recentLaunches: { programId: string; at: number }[];
  live: Map<string, LiveProcess>;
  lastAt?: number;
  /** updateProfiles calls so far (staggers the quiet processes' slower clock). */
  ticks?: number;
}

export interface Launch {
  programId: string;
  at: number;
  pid: number;
}

export function createProfileStore(options: Partial<ProfileOptions> = {}): ProfileStore {
  return {
    options: { ...DEFAULT_PROFILE_OPTIONS, ...options },
    programs: new Map(),
    coStarts: new Map(),
    recentLaunches: [],
    live: new Map(),
  };
}

function newProfile(programId: string, name: string, at: number): ProgramProfile {
  return {
    programId,
    name,
    samples: 0,
    firstSeenAt: at,
    lastSeenAt: at,
    metrics: {
      cpuPercent: qsCreate(),
      rssBytes: qsCreate(),
      ioBytesPerSec: qsCreate(),
      syscallsPerSec: qsCreate(),
      ctxSwitchesPerSec: qsCreate(),
    },
    voluntaryShare: qsCreate(),
    lifetimeMs: qsCreate(),
    runningHourOfWeek: new Array<number>(HOURS_PER_WEEK).fill(0),
    startsHourOfWeek: new Array<number>(HOURS_PER_WEEK).fill(0),
    launches: 0,
    classCounts: { foreground: 0, interactive: 0, batch: 0, background: 0, system: 0 },
  };
}

/** Hour of week, Monday 00:00 local = 0. The Unix epoch was a Thursday (3 days after Monday). */
export function hourOfWeek(atMs: number, utcOffsetMinutes: number): number {
  const hours = Math.floor((atMs + utcOffsetMinutes * 60_000) / 3_600_000);
  return (((hours + 72) % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
}

/** The per-process values a profile learns from; undefined when the collector could not read them. */
export function metricValues(p: ProcessSample): Record<ProfileMetric, number | undefined> {
  const io = p.readBytesPerSec !== undefined || p.writeBytesPerSec !== undefined ? (p.readBytesPerSec ?? 0) + (p.writeBytesPerSec ?? 0) : undefined;
  const sys = p.readSyscallsPerSec !== undefined || p.writeSyscallsPerSec !== undefined ? (p.readSyscallsPerSec ?? 0) + (p.writeSyscallsPerSec ?? 0) : undefined;
  const ctx =
    p.voluntaryCtxSwitchesPerSec !== undefined || p.involuntaryCtxSwitchesPerSec !== undefined
      ? (p.voluntaryCtxSwitchesPerSec ?? 0) + (p.involuntaryCtxSwitchesPerSec ?? 0)
      : undefined;
  return { cpuPercent: p.cpuPercent, rssBytes: p.rssBytes, ioBytesPerSec: io, syscallsPerSec: sys, ctxSwitchesPerSec: ctx };
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/**
 * Feed one sample. `classes` (process key -> class) adds to each program's class counts.
 * Returns the program launches seen this tick (a program going from no live process to one, for a
 * process that started after observation began).
 */
/** `classes`: each process's class by key, or the engine's classifications (their `class`). */
export function updateProfiles(store: ProfileStore, sample: Sample, classes?: ReadonlyMap<string, ProcessClass | { class: ProcessClass }>, unchanged?: Unchanged): Launch[] {
  const { options } = store;
  const at = sample.at;
  const first = store.lastAt === undefined;
  const prevAt = store.lastAt ?? at;
  const intervalSec = Math.max(0, sample.intervalMs) / 1000;
  const how = hourOfWeek(at, options.utcOffsetMinutes);
  const launches: Launch[] = [];
  // Programs with a live process before this tick (for launches): needed only when a process is new.
  let programsBefore: Set<string> | undefined;
  if (!first && sample.processes.some((p) => !p.kernelThread && !store.live.has(processKey(p)))) {
    programsBefore = new Set<string>();
    for (const live of store.live.values()) programsBefore.add(live.programId);
  }
  const runningPrograms = new Set<string>();
  const tick = (store.ticks = (store.ticks ?? 0) + 1);

  for (let i = 0; i < sample.processes.length; i++) {
    const p = sample.processes[i]!;
    if (p.kernelThread) continue;
    const key = processKey(p);
    const programId = programKey(p);
    let profile = store.programs.get(programId);
    if (!profile) {
      if (store.programs.size >= options.maxPrograms) evictOldestProgram(store);
      profile = newProfile(programId, p.name, at);
      store.programs.set(programId, profile);
    }
    const liveEntry = store.live.get(key);
    const isNew = liveEntry === undefined;
    // An unchanged process (it did not run since last tick) adds the same values again; its repeats
    // go into the quantile sketches on a slower clock (every QUIET_EVERY_TICKS ticks, staggered by
    // pid). Counts, class shares and running time still move every tick.
    const quiet = liveEntry !== undefined && unchanged !== undefined && unchanged(p) && (p.pid + tick) % QUIET_EVERY_TICKS !== 0;
    if (liveEntry) {
      liveEntry.programId = programId;
      liveEntry.startedAtMs = p.startedAtMs;
      liveEntry.lastSeenAt = at;
      liveEntry.seenTick = tick;
    } else store.live.set(key, { programId, startedAtMs: p.startedAtMs, lastSeenAt: at, seenTick: tick });
    profile.samples++;
    profile.lastSeenAt = at;
    if (!quiet) {
      const values = metricValues(p);
      for (const m of PROFILE_METRICS) {
        const v = values[m];
        if (v !== undefined) qsAdd(profile.metrics[m], v);
      }
      const vol = p.voluntaryCtxSwitchesPerSec;
      const inv = p.involuntaryCtxSwitchesPerSec;
      if (vol !== undefined && inv !== undefined && vol + inv > 0) qsAdd(profile.voluntaryShare, vol / (vol + inv));
    }
    const c = classes?.get(key);
    const cls = typeof c === 'string' ? c : c?.class;
    if (cls) profile.classCounts[cls]++;
    if (!runningPrograms.has(programId)) {
      runningPrograms.add(programId);
      profile.runningHourOfWeek[how]! += intervalSec;
    }
    // A launch: the process started since the previous sample and its program had no live process.
    if (isNew && programsBefore && p.startedAtMs >= prevAt - Math.max(1_000, sample.intervalMs) && !programsBefore.has(programId)) {
      if (!launches.some((l) => l.programId === programId)) launches.push({ programId, at, pid: p.pid });
    }
  }

  // Processes that ended: record lifetimes.
  store.live.forEach((live, key) => {
    if (live.seenTick === tick) return;
    store.live.delete(key);
    const profile = store.programs.get(live.programId);
    if (profile && live.startedAtMs > 0 && live.lastSeenAt >= live.startedAtMs) qsAdd(profile.lifetimeMs, live.lastSeenAt - live.startedAtMs);
  });

  // Launch histograms and co-start pairs.
  store.recentLaunches = store.recentLaunches.filter((l) => at - l.at <= options.coStartWindowMs);
  for (const launch of launches) {
    const profile = store.programs.get(launch.programId)!;
    profile.launches++;
    profile.startsHourOfWeek[how]!++;
    const partners = new Set(store.recentLaunches.filter((l) => l.programId !== launch.programId).map((l) => l.programId));
    for (const other of partners) {
      const k = pairKey(launch.programId, other);
      store.coStarts.set(k, (store.coStarts.get(k) ?? 0) + 1);
    }
    store.recentLaunches.push({ programId: launch.programId, at });
  }
  if (store.coStarts.size > options.maxPairs) pruneWeakPairs(store);
  store.lastAt = at;
  return launches;
}

function evictOldestProgram(store: ProfileStore): void {
  let oldest: ProgramProfile | undefined;
  for (const p of store.programs.values()) if (!oldest || p.lastSeenAt < oldest.lastSeenAt) oldest = p;
  if (oldest) store.programs.delete(oldest.programId);
}

function pruneWeakPairs(store: ProfileStore): void {
  const sorted = [...store.coStarts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  store.coStarts = new Map(sorted.slice(0, Math.floor(store.options.maxPairs * 0.8)));
}

/** Programs that launched within the co-start window of `programId`, most frequent first. */
export function coStartPartners(store: ProfileStore, programId: string): { programId: string; count: number }[] {
  const out: { programId: string; count: number }[] = [];
  for (const [k, count] of store.coStarts) {
    const [a, b] = k.split('\u0000') as [string, string];
    if (a === programId) out.push({ programId: b, count });
    else if (b === programId) out.push({ programId: a, count });
  }
  return out.sort((x, y) => y.count - x.count || (x.programId < y.programId ? -1 : 1));
}

export interface ProfileView {
  programId: string;
  name: string;
  samples: number;
  launches: number;
  metrics: Record<ProfileMetric, QuantileSummary>;
  voluntaryShare: QuantileSummary;
  lifetimeMs: QuantileSummary;
  learnedClass?: { class: ProcessClass; share: number };
}

/** The class the classifier gave this program most often, when it has enough evidence. */
export function learnedClass(profile: ProgramProfile, minSamples = 30): { class: ProcessClass; share: number } | undefined {
  let total = 0;
  let best: ProcessClass | undefined;
  let bestCount = 0;
  for (const [cls, count] of Object.entries(profile.classCounts) as [ProcessClass, number][]) {
    total += count;
    if (count > bestCount) {
      best = cls;
      bestCount = count;
    }
  }
  if (!best || total < minSamples) return undefined;
  return { class: best, share: bestCount / total };
}

export function profileView(profile: ProgramProfile): ProfileView {
  const metrics = {} as Record<ProfileMetric, QuantileSummary>;
  for (const m of PROFILE_METRICS) metrics[m] = qsSummary(profile.metrics[m]);
  const learned = learnedClass(profile);
  return {
    programId: profile.programId,
    name: profile.name,
    samples: profile.samples,
    launches: profile.launches,
    metrics,
    voluntaryShare: qsSummary(profile.voluntaryShare),
    lifetimeMs: qsSummary(profile.lifetimeMs),
    ...(learned ? { learnedClass: learned } : {}),
  };
}

// ---------------------------------------------------------------- persistence

const P2Json = z.object({ p: z.number(), count: z.number(), q: z.array(z.number()).max(5), n: z.array(z.number()).length(5), np: z.array(z.number()).length(5) });
const QsJson = z.object({ count: z.number(), mean: z.number(), min: z.number().nullable(), max: z.number().nullable(), estimators: z.array(P2Json).max(8) });
const ProfileJson = z.object({
  programId: z.string().max(1024),
  name: z.string().max(1024),
  samples: z.number(),
  firstSeenAt: z.number(),
  lastSeenAt: z.number(),
  metrics: z.object(Object.fromEntries(PROFILE_METRICS.map((m) => [m, QsJson])) as Record<ProfileMetric, typeof QsJson>),
  voluntaryShare: QsJson,
  lifetimeMs: QsJson,
  runningHourOfWeek: z.array(z.number()).length(HOURS_PER_WEEK),
  startsHourOfWeek: z.array(z.number()).length(HOURS_PER_WEEK),
  launches: z.number(),
  classCounts: z.object({ foreground: z.number(), interactive: z.number(), batch: z.number(), background: z.number(), system: z.number() }),
});
const StoreJson = z.object({
  version: z.literal(1),
  options: z.object({ utcOffsetMinutes: z.number(), coStartWindowMs: z.number(), maxPrograms: z.number(), maxPairs: z.number() }),
  programs: z.array(ProfileJson).max(100_000),
  coStarts: z.array(z.tuple([z.string(), z.string(), z.number()])).max(1_000_000),
});
export type ProfilesJson = z.infer<typeof StoreJson>;

/** Serializable snapshot (live-process state is not persisted: it is rebuilt from the next sample). */
export function profilesToJSON(store: ProfileStore): ProfilesJson {
  const programs = [...store.programs.values()].map((p) => ({
    ...p,
    metrics: Object.fromEntries(PROFILE_METRICS.map((m) => [m, qsToJSON(p.metrics[m])])),
    voluntaryShare: qsToJSON(p.voluntaryShare),
    lifetimeMs: qsToJSON(p.lifetimeMs),
  }));
  const coStarts = [...store.coStarts.entries()].map(([k, n]) => {
    const [a, b] = k.split('\u0000') as [string, string];
    return [a, b, n] as [string, string, number];
  });
  return JSON.parse(JSON.stringify({ version: 1, options: store.options, programs, coStarts })) as ProfilesJson;
}

/** Rebuild a store; invalid input gives an error and no store. */
export function profilesFromJSON(raw: unknown): { ok: true; value: ProfileStore } | { ok: false, error: string } {
  const parsed = StoreJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `invalid profiles: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const store = createProfileStore(parsed.data.options);
  for (const p of parsed.data.programs) {
    const metrics = {} as Record<ProfileMetric, QuantileSet>;
    for (const m of PROFILE_METRICS) metrics[m] = qsFromJSON(p.metrics[m]);
    store.programs.set(p.programId, {
      ...p,
      metrics,
      voluntaryShare: qsFromJSON(p.voluntaryShare),
      lifetimeMs: qsFromJSON(p.lifetimeMs),
      runningHourOfWeek: [...p.runningHourOfWeek],
      startsHourOfWeek: [...p.startsHourOfWeek],
      classCounts: { ...p.classCounts },
    });
  }
  for (const [a, b, n] of parsed.data.coStarts) store.coStarts.set(pairKey(a, b), n);
  return { ok: true, value: store };
}
