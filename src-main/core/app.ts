// Composition of the full core for one data directory: the store (settings, history, journal,
// audit in one SQLite file), the OS adapter behind the guard, the actuator, the sampler, and the
// core service. Runs inside the core worker (core-worker.ts) under Electron and `allot serve`, or
// inline in tests. On start it first puts back anything a crashed previous run left changed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../src-shared/settings';
import { openDb, type Db } from '../store/db';
import { SETTINGS_MIGRATIONS, createSettingsStore, type SettingsStore } from '../store/settings';
import { HISTORY_MIGRATIONS, createHistory, tiersFromSettings, type History } from '../store/history';
import { Journal, journalMigrations } from '../store/journal';
import { AuditLog, auditMigrations } from '../store/audit';
import { ENGINE_LOG_MIGRATIONS, EngineLogStore } from '../store/engine-log';
import { exportRows } from '../store/export';
import { Actuator } from '../platform/actuator';
import type { Exclusion } from '../platform/protect';
import { createPlatformAdapter } from '../platform';
import { createLinuxElevationHelper, elevatingAdapter } from '../helper/elevated';
import type { Sampler } from '../monitor/types';
import { createLaunchWatchFor, createSampler } from '../monitor';
import { createInlineSampleSource } from './sample-source';
import { createCore, summarizeRestore, type Core } from './service';
import { acquireInstanceLock, type InstanceLock } from './instance-lock';
import { diskFreeBytes } from './paths';
import { MODEL_MIGRATIONS } from './gru-trainer';
import { ENGINE_MIGRATIONS, autogroupActive, createEngineService, type EngineService } from './engine-service';
import { createForegroundProbe } from '../monitor/foreground';

export interface AppCoreOptions {
  dataDir: string;
  runtime: 'electron' | 'node';
  version: string;
  /** Defaults to this OS's collector. */
  sampler?: Sampler;
  /** Overrides the persisted interval for this run (e.g. `allot serve --interval-ms`). */
  intervalMs?: number;
  /** Sets the engine mode before the first tick (tests: a fresh install runs Auto, which acts on the machine). */
  engineMode?: 'off' | 'advise' | 'auto';
  /** Processes that are Allot itself (never touched); this process is always included. */
  selfPids?: readonly number[];
  validateEvents?: boolean;
  /** The privileged helper script; omitted: out/helper under the working directory. */
  helperPath?: string;
  /** The GRU training worker script; omitted: no recurrent forecaster. */
  gruWorkerUrl?: URL;
}

export interface AppCore {
  core: Core;
  db: Db;
  settings: SettingsStore;
  history: History;
  actuator: Actuator;
  engine: EngineService;
  /** Restore every change still in force, flush history, close the database. */
  close(): Promise<void>;
}

export const ALL_MIGRATIONS = [
  ...SETTINGS_MIGRATIONS,
  ...HISTORY_MIGRATIONS,
  ...journalMigrations,
  ...auditMigrations,
  ...ENGINE_MIGRATIONS,
  ...MODEL_MIGRATIONS,
  ...ENGINE_LOG_MIGRATIONS,
];

/** Settings' excluded programs as guard exclusions: a path is an executable, anything else a name glob. */
export function exclusionsFromSettings(settings: Settings): Exclusion[] {
  return settings.excludedPrograms.map((program) =>
    program.includes('/') || program.includes('\\') ? { kind: 'exe', value: program } : { kind: 'name', value: program },
  );
}

export async function createAppCore(options: AppCoreOptions): Promise<AppCore> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // Before anything else, and above all before the crash restore: one core per data directory.
  const lock = acquireInstanceLock(options.dataDir);
  try {
    return await composeAppCore(options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function composeAppCore(options: AppCoreOptions, lock: InstanceLock): Promise<AppCore> {
  const db = openDb({ path: join(options.dataDir, 'allot.db'), migrations: ALL_MIGRATIONS });
  // The journal must be on disk before any act: full sync for every commit.
  db.pragma('synchronous = FULL');
  const settings = createSettingsStore(db);
  if (options.intervalMs !== undefined) settings.updateSettings({ intervalMs: options.intervalMs });
  if (options.engineMode !== undefined) settings.updateSettings({ engine: { mode: options.engineMode } });
  const initial = settings.getSettings();

  const history = createHistory({
    db,
    intervalMs: initial.intervalMs,
    tiers: tiersFromSettings(initial.history),
    sizeCapBytes: initial.history.sizeCapBytes,
    processRows: initial.history.processRows,
    enabled: initial.history.enabled,
    diskFreeBytes: () => diskFreeBytes(options.dataDir),
  });
  const guarded = await createPlatformAdapter({
    selfPids: [...new Set([process.pid, ...(options.selfPids ?? [])])],
    exclusions: exclusionsFromSettings(initial),
  });
  // A person's change the OS refuses for lack of privilege is retried through pkexec and the
  // privileged helper (the password prompt is the consent); the engine never escalates.
  const adapter =
    process.platform === 'linux' && process.geteuid?.() !== 0
      ? elevatingAdapter(guarded, createLinuxElevationHelper(options.helperPath !== undefined ? { helperPath: options.helperPath } : {}))
      : guarded;
  const actuator = new Actuator({ adapter, journal: new Journal(db), audit: new AuditLog(db) });

  // A previous run that crashed may have left changes in force: put them back first.
  const leftover = actuator.journal.inForce();
  if (leftover.length > 0) {
    const report = await actuator.restoreAll('system', 'restore after an unclean stop');
    const summary = summarizeRestore(report.outcomes);
    console.error(`[allot] restored ${summary.restored} change(s) left by an unclean stop (${summary.gone} gone, ${summary.failed} failed)`);
  }

  settings.onChange((next, previous, changedKeys) => {
    if (changedKeys.includes('intervalMs')) history.setIntervalMs(next.intervalMs);
    if (changedKeys.includes('history')) {
      history.configure({
        tiers: tiersFromSettings(next.history),
        sizeCapBytes: next.history.sizeCapBytes,
        processRows: next.history.processRows,
        enabled: next.history.enabled,
      });
    }
    if (changedKeys.includes('excludedPrograms')) adapter.setExclusions(exclusionsFromSettings(next));
    void previous;
  });

  // With session autogroups, nice alone cannot restrain a hog in another session: add a cgroup weight.
  const engine = createEngineService({
    db,
    settings,
    actuator,
    foreground: await createForegroundProbe(),
    audit: actuator.audit,
    activity: new EngineLogStore(db),
    ...(options.gruWorkerUrl ? { gruWorkerUrl: options.gruWorkerUrl } : {}),
    recentSystemCpu: () => history.ring.systemCpuSeries().values,
    crossSessionWeight: process.platform === 'linux' && autogroupActive(),
  });
  const sampler = options.sampler ?? (await createSampler());
  const core = createCore({
    source: createInlineSampleSource(sampler),
    // Linux: a compiler the rules lower is seen within ~¼ s of its start instead of at the next tick.
    launchWatch: (wake) => createLaunchWatchFor({ watched: (name) => engine.watchesLaunchOf(name), onLaunch: wake }),
    runtime: options.runtime,
    version: options.version,
    validateEvents: options.validateEvents ?? false,
    services: {
      settings,
      actuator,
      history,
      engine,
      exportRows: (exportOptions) => exportRows(db, exportOptions),
      onSample: (sample) => history.append(sample),
      tickStatus: () => {
        const status = history.status();
        return {
          history:
            status.state === 'ok'
              ? { state: 'ok' }
              : { state: 'paused', message: `History is paused (${status.reason}: ${status.message}); monitoring goes on and history resumes when it can write again.` },
        };
      },
    },
  });

  let closed = false;
  return {
    core,
    db,
    settings,
    history,
    actuator,
    engine,
    async close() {
      if (closed) return;
      closed = true;
      await core.stop();
      await engine.close();
      await actuator.restoreAll('system', 'restore on exit');
      history.flush();
      history.close();
      db.close();
      lock.release();
    },
  };
}
