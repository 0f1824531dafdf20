// The engine as the core runs it: the pure engine and the pipeline (forecasts -> engine -> actuator)
// fed one Sample per tick, the focused-window probe, the mode the user chose (persisted in
// settings) with a pause, and the rules file. Beside the tick it records launches
// (launch-recorder.ts), prefetches the files of programs about to start (prefetch-planner.ts), trains
// the recurrent forecaster (gru-lifecycle.ts) and persists what it learned (engine-store.ts).
// Never throws into the tick: a failing step becomes a logged, reported error and the next tick
// tries again.
import { readFileSync } from 'node:fs';
import type { Sample } from '../../src-shared/domain';
import type { Mode } from '../../src-shared/engine';
import { DEFAULT_RULES_FILE, formatRulesFile, parseRulesFile } from '../../src-shared/rules';
import type { TickReport, ApplyAdviceResult, EngineLogPage, EngineLogQuery } from '../../src-shared/report';
import type { EngineStateView, ProgramProfileSummary, ProgramProfileView, RulesSetResult } from '../../src-shared/contract';
import type { Db } from '../store/db';
import type { SettingsStore } from '../store/settings';
import type { AuditLog } from '../store/audit';
import type { EngineLogStore } from '../store/engine-log';
import { createEngine, type Engine } from '../engine/engine';
import { ForecastBank } from '../engine/forecast-bank';
import type { ForegroundProbe } from '../monitor/foreground';
import { createPipeline, type ActuatorSurface, type Pipeline } from './pipeline';
import { loadLearned, loadRules, saveLearned, saveRules } from './engine-store';
import { createLaunchRecorder } from './launch-recorder';
import { createPrefetchPlanner } from './prefetch-planner';
import { createGruLifecycle } from './gru-lifecycle';
import { profileSummaries, profileView } from './profile-views';

export { ENGINE_MIGRATIONS } from './engine-store';
export { GRU_RETRAIN_MS } from './gru-lifecycle';

/** Profiles are written this often (and on close). */
const PERSIST_EVERY_MS = 5 * 60_000;

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
  /** Whether a new process of this name is worth a sample before the next tick (Engine.watchesLaunchOf). */
  watchesLaunchOf(name: string): boolean;
  /** The engine's recent activity, newest first; undefined when this runtime keeps none. */
  activity(query: EngineLogQuery): EngineLogPage | undefined;
  /** Put back everything the engine changed and persist profiles. */
  close(): Promise<void>;
}

export function createEngineService(options: EngineServiceOptions): EngineService {
  const { db, settings } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => console.error(`[allot] ${message}`));
  const utcOffsetMinutes = -new Date().getTimezoneOffset();

  // Rules: the stored file if it still parses, else the built-in set.
  let { text: rulesText, file: rulesFile } = loadRules(db, log);
  // Profiles, launch times and program files learned by earlier runs.
  const { profiles, launches, programFiles } = loadLearned(db, utcOffsetMinutes, log);

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

  let busy = false;
  let closed = false;
  // The recurrent model: trained in a worker on recent full-rate history, kept in the store.
  const gru = options.gruWorkerUrl
    ? createGruLifecycle({ db, forecasts, workerUrl: options.gruWorkerUrl, recentSystemCpu: options.recentSystemCpu, now, log, closed: () => closed })
    : undefined;

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

  const persist = (): void => {
    try {
      saveLearned(db, { profiles: engine.profiles, launches, programFiles }, now());
      lastPersistMs = now();
    } catch (error) {
      log(`could not save program profiles: ${(error as Error).message}`);
    }
  };

  const launchRecorder = createLaunchRecorder(launches, utcOffsetMinutes);
  const launchView = (programId: string) => launchRecorder.view(programId, now());
  // Prefetch: warm the page cache for programs likely to start within 5 minutes.
  const prefetch = createPrefetchPlanner({
    programFiles,
    within5MinP: (programId) => launchView(programId).within5MinP,
    excludedPrograms: () => settings.getSettings().excludedPrograms,
    threshold: options.prefetchProbability ?? 0.5,
    readMaps: options.readMaps,
    audit: options.audit,
  });

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
      restrained: engineState.restraints.length + engineState.sessions.length,
      prefetch: prefetch.view(),
      lastReport,
    };
  };

  const setRulesNow = (text: string): RulesSetResult => {
    const parsed = parseRulesFile(text);
    if (!parsed.ok) return { ok: false, line: parsed.error.line, column: parsed.error.column, path: parsed.error.path.slice(0, 512), message: parsed.error.message.slice(0, 1024) };
    saveRules(db, text, now());
    rulesText = text;
    rulesFile = parsed.value;
    engine.setRules(parsed.value);
    return { ok: true, rules: parsed.value.rules.length, profiles: parsed.value.profiles.length };
  };

  settings.onChange((next, previous) => {
    if (next.intervalMs !== previous.intervalMs && !closed) {
      void exclusive(async () => {
        forecasts.setStepMs(next.intervalMs);
        gru?.stepChanged();
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
          launchRecorder.record(sample);
          prefetch.learnFiles(sample);
          // Prefetching changes no process; it follows the mode like every other engine action.
          if (effectiveMode() === 'auto') {
            try {
              prefetch.round(sample);
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
          gru?.maybeTrain();
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
    watchesLaunchOf: (name) => !closed && engine.watchesLaunchOf(name),
    rules: () => ({ text: rulesText, defaultText: formatRulesFile(DEFAULT_RULES_FILE) }),
    // Rules change between ticks, never between a tick's decisions and its actions.
    setRules: (text) => exclusive(async () => setRulesNow(text)),
    listProfiles: (limit) => profileSummaries(engine.profiles, limit, launchView),
    profile(programId) {
      const profile = engine.profiles.programs.get(programId);
      return profile ? profileView(profile, engine.profiles, launchView(programId)) : undefined;
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
