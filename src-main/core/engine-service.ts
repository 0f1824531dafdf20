// The engine as the core runs it: the pure engine and the pipeline (forecasts -> engine -> actuator)
// fed one Sample per tick, the focused-window probe, the mode the user chose (persisted in
// settings) with a pause, and the rules file and learned program profiles persisted in the store.
// Never throws into the tick: a failing step becomes a logged, reported error and the next tick
// tries again.
import { readFileSync } from 'node:fs';
import type { Sample } from '../../src-shared/domain';
import type { Mode } from '../../src-shared/engine';
import { DEFAULT_RULES_FILE, formatRulesFile, parseRulesFile, type RulesFile } from '../../src-shared/rules';
import type { TickReport, ApplyAdviceResult, EngineLogPage, EngineLogQuery } from '../../src-shared/report';
import type { EngineStateView, ProgramProfileSummary, ProgramProfileView, RulesSetResult } from '../../src-shared/contract';
import type { Db, Migration } from '../store/db';
import type { SettingsStore } from '../store/settings';
import { createEngine, type Engine } from '../engine/engine';
import { createProfileStore, profilesFromJSON, profilesToJSON, coStartPartners, type ProgramProfile } from '../engine/profiles';
import { qsSummary, type QuantileSet } from '../engine/quantiles';
import { launchProbabilities } from '../engine/forecast/launch';
import { createPipeline, type ActuatorSurface, type Pipeline } from './pipeline';
import { mappedFiles, prefetchFiles, prefetchSupport, type MappedFile } from '../platform/prefetch';
import type { AuditLog } from '../store/audit';
import type { EngineLogStore } from '../store/engine-log';
import { ForecastBank } from '../engine/forecast-bank';
import { GruForecaster } from '../engine/forecast/gru';
import { loadModel, saveModel, trainGruInWorker } from './gru-trainer';
import type { ForegroundProbe } from '../monitor/foreground';
import { processKey, programKey } from '../../src-shared/identity';

export const ENGINE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'engine.1',
    sql: `
      CREATE TABLE engine_rules (id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
      CREATE TABLE engine_profiles (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, launches_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
    `,
  },
];

/** Profiles are written this often (and on close). */
const PERSIST_EVERY_MS = 5 * 60_000;
const MAX_LAUNCHES_PER_PROGRAM = 500;
const MAX_LAUNCH_PROGRAMS = 2000;

export interface EngineServiceOptions {
  db: Db;
  settings: SettingsStore;
  actuator: ActuatorSurface;
  foreground?: ForegroundProbe;
  now?: () => number;
  log?: (message: string) => void;
  /**
   * Also set a cgroup CPU weight when the engine lowers a process. Needed where nice only ranks
   * processes inside their own session (Linux with sched_autogroup_enabled=1); see autogroupActive().
   */
  crossSessionWeight?: boolean;
  /** Where prefetches are recorded (every automatic action goes to the audit log). */
  audit?: AuditLog;
  /** Where the engine's decisions, alerts and effects are kept for the Engine view (engine.log). */
  activity?: EngineLogStore;
  /** Reads /proc/PID/maps (injectable for tests); undefined when unreadable. */
  readMaps?: (pid: number) => string | undefined;
  /** Launch probability within 5 min at which a program's files are prefetched. Default 0.5. */
  prefetchProbability?: number;
  /** The GRU training worker (gru-worker.js, or .ts from source); absent: no recurrent model. */
  gruWorkerUrl?: URL;
  /** Recent full-rate system CPU (%), oldest first: what the GRU trains on (the in-memory history). */
  recentSystemCpu?: () => number[];
}

/** The GRU trains once this much full-rate history exists; a failed run is tried again after GRU_RETRY_MS. */
const GRU_MIN_POINTS = 300;
const GRU_RETRY_MS = 10 * 60_000;
/** A trained GRU (also one loaded from the store) is trained again on the recent history after this long. */
export const GRU_RETRAIN_MS = 6 * 3_600_000;

/** How often the prefetch planner looks, how much it may read per look, and how soon it repeats. */
const PREFETCH_EVERY_MS = 60_000;
const PREFETCH_BUDGET_BYTES = 256 * 1024 * 1024;
const PREFETCH_REPEAT_MS = 30 * 60_000;
const MAX_PROGRAM_FILES = 500;

/** Whether Linux groups scheduling by session (nice then only ranks within a session). */
export function autogroupActive(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): boolean {
  try {
    return read('/proc/sys/kernel/sched_autogroup_enabled').trim() === '1';
  } catch {
    return false;
  }
}

export interface EngineService {
  /** One engine tick for a sample. Never throws; returns null when the engine is busy or fails. */
  step(sample: Sample): Promise<TickReport | null>;
  state(): EngineStateView;
  setMode(mode: Mode): Promise<EngineStateView>;
  pause(minutes: number): Promise<EngineStateView>;
  setProfile(profileId: string): Promise<EngineStateView>;
  applyAdvice(decisionId: string): Promise<ApplyAdviceResult>;
  rules(): { text: string; defaultText: string };
  setRules(text: string): Promise<RulesSetResult>;
  listProfiles(limit: number): ProgramProfileSummary[];
  profile(programId: string): ProgramProfileView | undefined;
  /** The engine's recent activity, newest first; undefined when this runtime keeps none. */
  activity(query: EngineLogQuery): EngineLogPage | undefined;
  /** Put back everything the engine changed and persist profiles. */
  close(): Promise<void>;
}

function quantiles(set: QuantileSet) {
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

export function createEngineService(options: EngineServiceOptions): EngineService {
  const { db, settings } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => console.error(`[allot] ${message}`));
  const utcOffsetMinutes = -new Date().getTimezoneOffset();

  // Rules: the stored file if it still parses, else the built-in set.
  let rulesText = formatRulesFile(DEFAULT_RULES_FILE);
  let rulesFile: RulesFile = DEFAULT_RULES_FILE;
  const storedRules = db.prepare('SELECT text FROM engine_rules WHERE id = 1').raw().get() as [string] | undefined;
  if (storedRules) {
    const parsed = parseRulesFile(storedRules[0]);
    if (parsed.ok) {
      rulesText = storedRules[0];
      rulesFile = parsed.value;
    } else {
      log(`stored rules no longer valid (line ${parsed.error.line}: ${parsed.error.message}); using the built-in rules`);
    }
  }

  // Profiles and launch times learned by earlier runs.
  let profiles = createProfileStore({ utcOffsetMinutes });
  const launches = new Map<string, number[]>();
  /** Files each program mapped when it last ran (its executable and libraries). */
  const programFiles = new Map<string, { name: string; files: MappedFile[] }>();
  const storedProfiles = db.prepare('SELECT json, launches_json FROM engine_profiles WHERE id = 1').raw().get() as [string, string] | undefined;
  if (storedProfiles) {
    try {
      const restored = profilesFromJSON(JSON.parse(storedProfiles[0]));
      if (restored.ok) profiles = restored.value;
      else log(`stored profiles ignored: ${restored.error}`);
      const stored = JSON.parse(storedProfiles[1]) as { launches?: Array<[string, number[]]>; files?: Array<[string, { name: string; files: MappedFile[] }]> };
      for (const [programId, times] of stored.launches ?? []) launches.set(programId, times);
      for (const [programId, entry] of stored.files ?? []) programFiles.set(programId, entry);
    } catch (error) {
      log(`stored profiles ignored: ${(error as Error).message}`);
    }
  }

  const engine: Engine = createEngine({ rules: rulesFile, mode: 'off', profiles, utcOffsetMinutes });
  let pausedUntilMs: number | null = null;
  const chosenMode = (): Mode => settings.getSettings().engine.mode;
  const effectiveMode = (): Mode => (pausedUntilMs !== null && now() < pausedUntilMs ? 'off' : chosenMode());
  const forecasts = new ForecastBank({ stepMs: settings.getSettings().intervalMs });
  const pipeline: Pipeline = createPipeline({
    engine,
    actuator: options.actuator,
    forecasts,
    mode: effectiveMode(),
    now,
    intents: { crossSessionWeight: options.crossSessionWeight ?? false },
    // Whether nice alone ranks across sessions: the planner's model shares CPU by session when not.
    autogroups: process.platform === 'linux' && autogroupActive(),
  });

  // ---- the recurrent model: trained in a worker on recent full-rate history, kept in the store
  const gruKey = (): string => `system.cpu@${forecasts.options.stepMs}ms`;
  let gruState: 'none' | 'training' | 'ready' = 'none';
  let gruLastAttemptMs = 0;
  /** When the model in use was trained (from the store when loaded). */
  let gruTrainedAtMs = 0;
  /** Bumped when the step changes: a training run from an older generation is stale. */
  let gruGeneration = 0;
  const addGru = (weights: Parameters<typeof saveModel>[2], trainedAtMs: number): void => {
    gruTrainedAtMs = trainedAtMs;
    const model = new GruForecaster(weights);
    // Warm its state on the recent series so its first forecasts are not from a cold start.
    for (const value of options.recentSystemCpu?.() ?? []) model.update(value);
    forecasts.addSystemCpuModel(model);
    gruState = 'ready';
  };
  const stored = options.gruWorkerUrl ? loadModel(db, gruKey()) : undefined;
  if (stored) addGru(stored.weights, stored.trainedAtMs);
  /**
   * Train when there is no model yet, and again when the one in use is GRU_RETRAIN_MS old (programs
   * and habits change; a model from last week's first ten minutes forecasts last week). The model in
   * use keeps forecasting while its successor trains in the worker.
   */
  const maybeTrainGru = (): void => {
    if (!options.gruWorkerUrl || gruState === 'training' || now() - gruLastAttemptMs < GRU_RETRY_MS) return;
    if (gruState === 'ready' && now() - gruTrainedAtMs < GRU_RETRAIN_MS) return;
    const series = options.recentSystemCpu?.() ?? [];
    if (series.length < GRU_MIN_POINTS) return;
    const previousState = gruState;
    gruState = 'training';
    gruLastAttemptMs = now();
    const key = gruKey();
    const generation = gruGeneration;
    trainGruInWorker(options.gruWorkerUrl, series, { seed: 1 })
      .then((weights) => {
        // Trained for another step (the interval changed meanwhile) or after close: not ours to add.
        if (closed || generation !== gruGeneration) return;
        const trainedAtMs = now();
        saveModel(db, key, weights, series.length, trainedAtMs);
        addGru(weights, trainedAtMs);
        log(`GRU forecaster ${previousState === 'ready' ? 'retrained' : 'trained'} on ${series.length} points of system CPU; it competes in model selection`);
      })
      .catch((error: Error) => {
        // A failed retraining leaves the model in use in place.
        if (generation === gruGeneration) gruState = previousState;
        log(`GRU training failed: ${error.message}`);
      });
  };

  let busy = false;
  let closed = false;
  /** Everything that drives the pipeline runs one at a time (a tick, a mode change, applying advice, closing). */
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task, task);
    chain = run.catch(() => undefined);
    return run;
  };
  let lastReport: TickReport | null = null;
  let lastForeground: { pid?: number; unavailableReason?: string } = { unavailableReason: 'no reading yet' };
  let lastPersistMs = now();
  const seen = new Map<string, number>();
  let launchTick = 0;

  const persist = (): void => {
    try {
      db.prepare(
        'INSERT INTO engine_profiles (id, json, launches_json, updated_at_ms) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, launches_json = excluded.launches_json, updated_at_ms = excluded.updated_at_ms',
      ).run(JSON.stringify(profilesToJSON(engine.profiles)), JSON.stringify({ launches: [...launches], files: [...programFiles] }), now());
      lastPersistMs = now();
    } catch (error) {
      log(`could not save program profiles: ${(error as Error).message}`);
    }
  };

  /** Record start times of processes not seen before, per program (for launch probabilities). */
  const recordLaunches = (sample: Sample): void => {
    // `seen` maps each known process to the tick it was last seen in: updated in place, and the
    // processes not in this tick pruned, without a new set per tick.
    const first = seen.size === 0;
    const tick = ++launchTick;
    for (let i = 0; i < sample.processes.length; i++) {
      const process = sample.processes[i]!;
      const key = processKey(process);
      const known = seen.has(key);
      seen.set(key, tick);
      // The first sample only learns who exists: those are not launches we saw.
      if (known || first) continue;
      const programId = programKey(process);
      let times = launches.get(programId);
      if (!times) {
        if (launches.size >= MAX_LAUNCH_PROGRAMS) continue;
        launches.set(programId, (times = []));
      }
      times.push(process.startedAtMs);
      if (times.length > MAX_LAUNCHES_PER_PROGRAM) times.splice(0, times.length - MAX_LAUNCHES_PER_PROGRAM);
    }
    seen.forEach((at, key) => {
      if (at !== tick) seen.delete(key);
    });
  };

  // ---- prefetch: warm the page cache for programs likely to start within 5 minutes
  const support = prefetchSupport();
  const readMaps = options.readMaps ?? ((pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      return undefined;
    }
  });
  const prefetchThreshold = options.prefetchProbability ?? 0.5;
  const lastPrefetchAt = new Map<string, number>();
  /** Processes whose maps were read (or could not be), so each is read at most once. */
  const mapsTried = new Set<string>();
  const recentPrefetches: EngineStateView['prefetch']['recent'] = [];
  let lastPrefetchRoundMs = 0;

  /** Learn the files of programs seen running for a couple of seconds (the loader has mapped its libraries). */
  const learnFiles = (sample: Sample): void => {
    if (!support.supported) return;
    for (let i = 0; i < sample.processes.length; i++) {
      const process = sample.processes[i]!;
      const programId = programKey(process);
      if (process.kernelThread || programFiles.has(programId) || !programId.startsWith('/')) continue;
      if (sample.at - process.startedAtMs < 2000) continue;
      if (programFiles.size >= MAX_PROGRAM_FILES) return;
      const identity = processKey(process);
      if (mapsTried.has(identity)) continue;
      if (mapsTried.size >= 10_000) mapsTried.clear();
      mapsTried.add(identity);
      const maps = readMaps(process.pid);
      if (maps === undefined) continue;
      const files = mappedFiles(maps);
      if (files.length > 0) programFiles.set(programId, { name: process.name, files });
    }
  };

  const prefetchRound = (sample: Sample): void => {
    if (!support.supported || sample.at - lastPrefetchRoundMs < PREFETCH_EVERY_MS) return;
    lastPrefetchRoundMs = sample.at;
    const running = new Set(sample.processes.map(programKey));
    const excluded = new Set(settings.getSettings().excludedPrograms);
    let budget = PREFETCH_BUDGET_BYTES;
    const candidates = [...programFiles]
      .filter(([programId, entry]) => !running.has(programId) && !excluded.has(programId) && !excluded.has(entry.name))
      .filter(([programId]) => sample.at - (lastPrefetchAt.get(programId) ?? 0) >= PREFETCH_REPEAT_MS)
      .map(([programId, entry]) => ({ programId, entry, probability: launchView(programId).within5MinP }))
      .filter((candidate) => candidate.probability >= prefetchThreshold)
      .sort((a, b) => b.probability - a.probability);
    for (const candidate of candidates) {
      if (budget <= 0) break;
      const result = prefetchFiles(candidate.entry.files, budget);
      if (result.kind !== 'prefetched' || result.files === 0) continue;
      budget -= result.bytes;
      lastPrefetchAt.set(candidate.programId, sample.at);
      const entry = { at: sample.at, programId: candidate.programId, name: candidate.entry.name, probability: candidate.probability, files: result.files, bytes: result.bytes };
      recentPrefetches.unshift(entry);
      recentPrefetches.splice(50);
      options.audit?.append({
        actor: 'engine',
        action: 'prefetch',
        op: null,
        target: null,
        name: candidate.entry.name.slice(0, 1024),
        before: null,
        after: null,
        why: `${candidate.entry.name} starts within 5 minutes with probability ${(candidate.probability * 100).toFixed(0)} %: read ${result.files} file(s), ${Math.round(result.bytes / 1048576)} MiB, into the page cache ahead of the launch`,
        result: 'info',
        reason: null,
        message: null,
        changeId: null,
      });
    }
  };

  /** Keeping the log never breaks the engine: a failure is logged and the engine goes on. */
  const keep = (what: () => void): void => {
    try {
      what();
    } catch (error) {
      log(`could not keep the engine's activity: ${(error as Error).message}`);
    }
  };

  const syncMode = async (): Promise<void> => {
    const wanted = effectiveMode();
    if (pipeline.mode() === wanted) return;
    // Leaving Auto puts back what the engine changed: those restores are activity too.
    const out = await pipeline.setMode(wanted);
    if (out.decisions.length > 0 && options.activity) keep(() => options.activity!.recordDecisions(out.decisions));
  };

  const state = (): EngineStateView => {
    const engineState = engine.state();
    return {
      mode: chosenMode(),
      effectiveMode: effectiveMode(),
      pausedUntilMs: pausedUntilMs !== null && now() < pausedUntilMs ? pausedUntilMs : null,
      profileId: engineState.profileId,
      profiles: rulesFile.profiles.map((profile) => ({ id: profile.id, name: profile.name, ...(profile.description ? { description: profile.description } : {}) })),
      foreground: lastForeground,
      restrained: engineState.restraints.length,
      prefetch: {
        supported: support.supported,
        ...(support.supported ? {} : { reason: support.reason }),
        programsKnown: programFiles.size,
        recent: recentPrefetches.slice(0, 50),
      },
      lastReport,
    };
  };

  const launchView = (programId: string) => {
    const result = launchProbabilities(launches.get(programId) ?? [], now(), { utcOffsetMinutes });
    return { within5MinP: result.within5MinP, within1HourP: result.within1HourP, within1DayP: result.within1DayP };
  };

  const setRulesNow = (text: string): RulesSetResult => {
    const parsed = parseRulesFile(text);
    if (!parsed.ok) return { ok: false, line: parsed.error.line, column: parsed.error.column, path: parsed.error.path.slice(0, 512), message: parsed.error.message.slice(0, 1024) };
    db.prepare('INSERT INTO engine_rules (id, text, updated_at_ms) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET text = excluded.text, updated_at_ms = excluded.updated_at_ms').run(text, now());
    rulesText = text;
    rulesFile = parsed.value;
    engine.setRules(parsed.value);
    return { ok: true, rules: parsed.value.rules.length, profiles: parsed.value.profiles.length };
  };

  const profileOf = (profile: ProgramProfile): ProgramProfileView => ({
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
    launch: launchView(profile.programId),
    coStarts: coStartPartners(engine.profiles, profile.programId).slice(0, 20),
  });

  settings.onChange((next, previous) => {
    if (next.intervalMs !== previous.intervalMs && !closed) {
      void exclusive(async () => {
        forecasts.setStepMs(next.intervalMs);
        // A model trained at another step forecasts the wrong distance ahead: look for one for this step.
        gruGeneration++;
        gruState = 'none';
        gruLastAttemptMs = 0;
        const restored = options.gruWorkerUrl ? loadModel(db, gruKey()) : undefined;
        if (restored) addGru(restored.weights, restored.trainedAtMs);
      }).catch((error: Error) => log(`applying the new interval to the forecasts failed: ${error.message}`));
    }
    if (next.engine.mode !== previous.engine.mode && !closed) {
      void exclusive(syncMode).catch((error: Error) => log(`mode change failed: ${error.message}`));
    }
  });

  return {
    async step(sample) {
      // A busy engine skips this tick rather than queue ticks behind it; a closed one does nothing.
      if (busy || closed) return null;
      busy = true;
      return exclusive(async () => {
        try {
          if (closed) return null;
          recordLaunches(sample);
          learnFiles(sample);
          // Prefetching changes no process; it follows the mode like every other engine action.
          if (effectiveMode() === 'auto') {
            try {
              prefetchRound(sample);
            } catch (error) {
              log(`prefetch failed: ${(error as Error).message}`);
            }
          }
          if (pausedUntilMs !== null && now() >= pausedUntilMs) pausedUntilMs = null;
          await syncMode();
          const reading = options.foreground?.read() ?? { unavailableReason: 'no focused-window probe in this runtime' };
          lastForeground = {
            ...(reading.pid !== undefined ? { pid: reading.pid } : {}),
            ...(reading.unavailableReason ? { unavailableReason: reading.unavailableReason } : {}),
          };
          lastReport = await pipeline.step(sample, {
            ...(reading.pid !== undefined ? { foregroundPid: reading.pid } : {}),
            ...(reading.unavailableReason ? { foregroundUnavailableReason: reading.unavailableReason } : {}),
            ...(reading.idleMs !== undefined ? { userIdleMs: reading.idleMs } : {}),
          });
          if (options.activity) keep(() => options.activity!.record(lastReport!));
          if (now() - lastPersistMs >= PERSIST_EVERY_MS) persist();
          maybeTrainGru();
          return lastReport;
        } catch (error) {
          log(`engine tick failed: ${(error as Error).stack ?? (error as Error).message}`);
          return null;
        } finally {
          busy = false;
        }
      });
    },
    state,
    setMode: (mode) =>
      exclusive(async () => {
        if (closed) throw new Error('Allot is stopping');
        const result = settings.updateSettings({ engine: { mode } });
        if (!result.ok) throw new Error(result.error.message);
        pausedUntilMs = null;
        await syncMode();
        return state();
      }),
    pause: (minutes) =>
      exclusive(async () => {
        if (closed) throw new Error('Allot is stopping');
        pausedUntilMs = minutes === 0 ? null : now() + minutes * 60_000;
        await syncMode();
        return state();
      }),
    setProfile: (profileId) =>
      exclusive(async () => {
        if (!rulesFile.profiles.some((profile) => profile.id === profileId)) {
          throw Object.assign(new Error(`no profile "${profileId}" in the rules file (have: ${rulesFile.profiles.map((p) => p.id).join(', ')})`), { code: 'invalid-input' });
        }
        engine.setProfile(profileId, now());
        return state();
      }),
    applyAdvice: (decisionId) =>
      exclusive(async () => {
        if (closed) return { kind: 'invalid' as const, message: 'Allot is stopping' };
        const result = await pipeline.applyAdvice(decisionId);
        if (result.kind === 'done' && options.activity) keep(() => options.activity!.recordDecisions([result.decision]));
        return result;
      }),
    activity: (query) => options.activity?.query(query),
    rules: () => ({ text: rulesText, defaultText: formatRulesFile(DEFAULT_RULES_FILE) }),
    // Rules change between ticks, never between a tick's decisions and its actions.
    setRules: (text) => exclusive(async () => setRulesNow(text)),
    listProfiles(limit) {
      return [...engine.profiles.programs.values()]
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
            launch: launchView(profile.programId),
            cpuP50: cpu.p50,
            cpuP90: cpu.p90,
            rssP90: rss.p90,
          };
        });
    },
    profile(programId) {
      const profile = engine.profiles.programs.get(programId);
      return profile ? profileOf(profile) : undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Waits for a tick in flight, so nothing the engine does can land after the restore.
      await exclusive(async () => {
        try {
          const off = await pipeline.setMode('off');
          const restored = await pipeline.restoreAll();
          if (options.activity) keep(() => options.activity!.recordDecisions([...off.decisions, ...restored.decisions]));
        } catch (error) {
          log(`engine restore on close failed: ${(error as Error).message}`);
        }
        persist();
        if (options.activity) keep(() => options.activity!.close());
        options.foreground?.close();
      });
    },
  };
}
