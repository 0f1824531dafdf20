// Engine slice: the engine's state (mode, pause, profile, foreground detection), a bounded log of
// decisions with their results and measured effects, the pending advice of the latest report,
// alerts and other engine events, fed by the `engine` event and, on open, by the activity the core
// kept (`engine.log`, newest first, older pages on demand), merged without duplicates; and the
// actions that change the mode, pause, switch profile and apply advice through ipc/client.
import type { StateCreator } from 'zustand';
import type { EngineStateView } from '../../src-shared/contract';
import type { IntentResult, Alert, Decision, Effect, EngineEvent, Mode } from '../../src-shared/engine';
import type { AppliedChange, ApplyAdviceResult, EngineLogItem, EngineLogPage, ReportedDecision, TickReport } from '../../src-shared/report';
import { client } from '../ipc/client';
import { describeError } from './errors';
import type { AppState } from './index';

/** Most decisions kept in the log (oldest drop off): as many items as the core keeps. */
export const ENGINE_LOG_LIMIT = 2000;
/** Items asked of the core's log per page (on open, and per "load older"). */
export const ENGINE_LOG_PAGE = 200;
export const ENGINE_ALERT_LIMIT = 200;
export const ENGINE_EVENT_LIMIT = 200;
/** Most applied-advice ids and Apply outcomes remembered (oldest drop off). */
export const ADVICE_MEMORY_LIMIT = 500;

/** `ids` plus `id` as the newest, keeping the newest `limit` (a Set iterates in insertion order). */
export function withNewestId(ids: ReadonlySet<string>, id: string, limit = ADVICE_MEMORY_LIMIT): Set<string> {
  const all = [...ids].filter((existing) => existing !== id);
  all.push(id);
  return new Set(all.length > limit ? all.slice(all.length - limit) : all);
}

/** `record` with `key` set to `value` as the newest entry, keeping the newest `limit` (string keys keep insertion order). */
export function withNewestEntry<T>(record: Readonly<Record<string, T>>, key: string, value: T, limit = ADVICE_MEMORY_LIMIT): Record<string, T> {
  const entries = Object.entries(record).filter(([existing]) => existing !== key);
  entries.push([key, value]);
  return Object.fromEntries(entries.length > limit ? entries.slice(entries.length - limit) : entries);
}

export interface EngineLogEntry {
  decision: Decision;
  /** What the actuator did (absent for advice nobody applied). */
  result?: IntentResult;
  changes?: AppliedChange[];
  /** Measured effect, once the feedback loop has judged it. */
  effect?: Effect;
}

/** Events other than decisions, alerts and effects (those have their own lists). */
export type EngineNote = Exclude<EngineEvent, { type: 'decision' } | { type: 'alert' } | { type: 'effect' }>;

export interface EngineLog {
  /** Newest last. */
  entries: EngineLogEntry[];
  alerts: Alert[];
  notes: EngineNote[];
  /** Effects whose decision is not (yet, or any more) in the log, by decision id. */
  orphanEffects: Record<string, Effect>;
}

export function emptyEngineLog(): EngineLog {
  return { entries: [], alerts: [], notes: [], orphanEffects: {} };
}

function mergeEntry(entry: EngineLogEntry, reported: ReportedDecision): EngineLogEntry {
  return {
    ...entry,
    decision: reported.decision,
    ...(reported.result ? { result: reported.result } : {}),
    ...(reported.changes ? { changes: reported.changes } : {}),
  };
}

/**
 * Fold one report into the log. Pure and O(log + report): a decision id seen again (advice repeated
 * every tick, a result arriving later) updates its entry in place instead of adding a line.
 */
export function appendEngineReport(log: EngineLog, report: TickReport, limit = ENGINE_LOG_LIMIT): EngineLog {
  const entries = log.entries.slice();
  const index = new Map<string, number>();
  entries.forEach((entry, i) => index.set(entry.decision.id, i));
  const orphanEffects = { ...log.orphanEffects };
  for (const reported of report.decisions) {
    const at = index.get(reported.decision.id);
    if (at !== undefined) entries[at] = mergeEntry(entries[at]!, reported);
    else {
      const entry: EngineLogEntry = mergeEntry({ decision: reported.decision }, reported);
      const effect = orphanEffects[reported.decision.id];
      if (effect) {
        entry.effect = effect;
        delete orphanEffects[reported.decision.id];
      }
      index.set(reported.decision.id, entries.length);
      entries.push(entry);
    }
  }
  const notes = log.notes.slice();
  let alerts = log.alerts;
  for (const event of report.events) {
    if (event.type === 'effect') {
      const at = index.get(event.effect.decisionId);
      if (at !== undefined) entries[at] = { ...entries[at]!, effect: event.effect };
      else orphanEffects[event.effect.decisionId] = event.effect;
    } else if (event.type !== 'decision' && event.type !== 'alert') notes.push(event);
  }
  if (report.alerts.length > 0) {
    const byId = new Map(alerts.map((alert) => [alert.id, alert]));
    for (const alert of report.alerts) byId.set(alert.id, alert);
    alerts = [...byId.values()].sort((a, b) => b.at - a.at).slice(0, ENGINE_ALERT_LIMIT);
  }
  const orphanIds = Object.keys(orphanEffects);
  if (orphanIds.length > limit) for (const id of orphanIds.slice(0, orphanIds.length - limit)) delete orphanEffects[id];
  return {
    entries: entries.length > limit ? entries.slice(entries.length - limit) : entries,
    alerts,
    notes: notes.length > ENGINE_EVENT_LIMIT ? notes.slice(notes.length - ENGINE_EVENT_LIMIT) : notes,
    orphanEffects,
  };
}

/** An entry with what `reported` adds to it: a result or OS changes it did not have yet. */
function fillEntry(entry: EngineLogEntry, reported: ReportedDecision): EngineLogEntry {
  if ((entry.result || !reported.result) && (entry.changes || !reported.changes)) return entry;
  return {
    ...entry,
    ...(!entry.result && reported.result ? { result: reported.result } : {}),
    ...(!entry.changes && reported.changes ? { changes: reported.changes } : {}),
  };
}

/**
 * Fold items the core kept (`engine.log`, any order) into the log. Pure. A decision already in the
 * log (seen live, or in an earlier page) stays one line: the log's own version wins and only gains
 * a result or changes it lacked; alerts are kept by id, newest first; an effect attaches to its
 * decision (or waits among the orphans until that decision's page comes). Entries stay oldest
 * first by decision time, the newest `limit` kept.
 */
export function mergeEngineLogItems(log: EngineLog, items: readonly EngineLogItem[], limit = ENGINE_LOG_LIMIT): EngineLog {
  if (items.length === 0) return log;
  const entries = log.entries.slice();
  const index = new Map<string, number>();
  entries.forEach((entry, i) => index.set(entry.decision.id, i));
  const orphanEffects = { ...log.orphanEffects };
  let added = false;
  for (const item of items) {
    if (item.kind !== 'decision') continue;
    const id = item.decision.decision.id;
    const at = index.get(id);
    if (at !== undefined) {
      entries[at] = fillEntry(entries[at]!, item.decision);
      continue;
    }
    const entry: EngineLogEntry = fillEntry({ decision: item.decision.decision }, item.decision);
    const effect = orphanEffects[id];
    if (effect) {
      entry.effect = effect;
      delete orphanEffects[id];
    }
    index.set(id, entries.length);
    entries.push(entry);
    added = true;
  }
  let alerts = log.alerts;
  const newAlerts = items.filter((item): item is Extract<EngineLogItem, { kind: 'alert' }> => item.kind === 'alert');
  if (newAlerts.length > 0) {
    const byId = new Map(alerts.map((alert) => [alert.id, alert]));
    for (const item of newAlerts) if (!byId.has(item.alert.id)) byId.set(item.alert.id, item.alert);
    alerts = [...byId.values()].sort((a, b) => b.at - a.at).slice(0, ENGINE_ALERT_LIMIT);
  }
  for (const item of items) {
    if (item.kind !== 'effect') continue;
    const at = index.get(item.effect.decisionId);
    if (at !== undefined) {
      const entry = entries[at]!;
      if (!entry.effect || entry.effect.at < item.effect.at) entries[at] = { ...entry, effect: item.effect };
    } else if (!orphanEffects[item.effect.decisionId]) orphanEffects[item.effect.decisionId] = item.effect;
  }
  // Older pages land after newer live entries: put the log back in time order (a stable sort).
  if (added) entries.sort((a, b) => a.decision.at - b.decision.at);
  const orphanIds = Object.keys(orphanEffects);
  if (orphanIds.length > limit) for (const id of orphanIds.slice(0, orphanIds.length - limit)) delete orphanEffects[id];
  return {
    entries: entries.length > limit ? entries.slice(entries.length - limit) : entries,
    alerts,
    notes: log.notes,
    orphanEffects,
  };
}

/** Advice older than this (against the latest report) is no longer offered; the engine would refuse it as expired. */
export const ADVICE_TTL_MS = 120_000;

/**
 * Advice a person can apply: decisions not sent to the actuator (Advise mode) and not applied here,
 * from the last `ADVICE_TTL_MS` before `nowMs` (the latest report's time), newest first; one per
 * process and change kind (a newer piece of advice for the same process supersedes an older one).
 */
export function pendingAdvice(log: EngineLog, nowMs: number | undefined, applied: ReadonlySet<string>, limit = 50): EngineLogEntry[] {
  if (nowMs === undefined) return [];
  const out: EngineLogEntry[] = [];
  const seen = new Set<string>();
  for (let i = log.entries.length - 1; i >= 0 && out.length < limit; i--) {
    const entry = log.entries[i]!;
    const { decision } = entry;
    if (nowMs - decision.at > ADVICE_TTL_MS) break;
    const key = `${decision.target.pid}:${decision.target.startTime}:${decision.change.op}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (decision.apply || entry.result || applied.has(decision.id)) continue;
    out.push(entry);
  }
  return out;
}

/** Journal ids of the changes an applied decision made (what Undo undoes). */
export function undoableChangeIds(entry: EngineLogEntry): number[] {
  if (entry.result?.status !== 'applied') return [];
  return (entry.changes ?? []).filter((c) => c.kind === 'applied' && c.changeId !== null).map((c) => c.changeId!);
}

export interface EngineSlice {
  engineState?: EngineStateView;
  /** Why the engine state could not be read or changed (shown in the Engine view). */
  engineError?: string;
  lastReport?: TickReport;
  engineLog: EngineLog;
  /** Advice ids applied from this UI (hidden from the pending list at once); the newest ADVICE_MEMORY_LIMIT. */
  appliedAdvice: ReadonlySet<string>;
  /** Last outcome of an Apply, by decision id; the newest ADVICE_MEMORY_LIMIT. */
  adviceOutcomes: Record<string, { ok: boolean; message: string }>;
  engineBusy: boolean;
  /** Where the next older page of the core's log starts: undefined before the first page, null when nothing older is kept. */
  engineLogNext?: EngineLogPage['next'];
  engineLogLoading: boolean;
  /** Why the kept activity could not be read (the live log goes on). */
  engineLogError?: string;
  loadEngine(): Promise<void>;
  /** Read the newest page of the activity the core kept and merge it into the log. */
  loadEngineLog(): Promise<void>;
  /** Read the next older page, when there is one. */
  loadOlderEngineLog(): Promise<void>;
  applyEngineReport(report: TickReport): void;
  setEngineMode(mode: Mode): Promise<void>;
  /** Pause for `minutes` (0 resumes). */
  pauseEngine(minutes: number): Promise<void>;
  setEngineProfile(profileId: string): Promise<void>;
  applyAdvice(decisionId: string): Promise<ApplyAdviceResult | undefined>;
  /** Undo the journaled changes of an applied decision. */
  undoDecision(entry: EngineLogEntry): Promise<void>;
}

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = (set, get) => {
  const change = async (what: string, run: () => Promise<EngineStateView>): Promise<void> => {
    set({ engineBusy: true });
    try {
      const engineState = await run();
      set({ engineState, engineError: undefined });
    } catch (error) {
      const text = `${what}: ${describeError(error)}`;
      set({ engineError: text });
      get().pushToast('error', text);
    } finally {
      set({ engineBusy: false });
    }
  };
  // Every loadEngine call takes a number; only the answer to the latest one is applied, so an older,
  // slower answer cannot overwrite a newer state.
  let engineLoadSeq = 0;
  return {
    engineLog: emptyEngineLog(),
    appliedAdvice: new Set(),
    adviceOutcomes: {},
    engineBusy: false,
    engineLogLoading: false,
    async loadEngineLog() {
      if (get().engineLogLoading) return;
      set({ engineLogLoading: true });
      try {
        const page = await client().invoke('engine.log', { limit: ENGINE_LOG_PAGE });
        set((state) => ({
          engineLog: mergeEngineLogItems(state.engineLog, page.items),
          // Reopening the view re-reads the newest page; the cursor of pages already read stays.
          engineLogNext: state.engineLogNext === undefined ? page.next : state.engineLogNext,
          engineLogError: undefined,
        }));
      } catch (error) {
        set({ engineLogError: `Could not read the engine's earlier activity: ${describeError(error)}` });
      } finally {
        set({ engineLogLoading: false });
      }
    },
    async loadOlderEngineLog() {
      const next = get().engineLogNext;
      if (!next || get().engineLogLoading) return;
      set({ engineLogLoading: true });
      try {
        const page = await client().invoke('engine.log', { limit: ENGINE_LOG_PAGE, beforeAt: next.beforeAt, beforeSeq: next.beforeSeq });
        set((state) => ({ engineLog: mergeEngineLogItems(state.engineLog, page.items), engineLogNext: page.next, engineLogError: undefined }));
      } catch (error) {
        set({ engineLogError: `Could not read older engine activity: ${describeError(error)}` });
      } finally {
        set({ engineLogLoading: false });
      }
    },
    async loadEngine() {
      const seq = ++engineLoadSeq;
      try {
        const engineState = await client().invoke('engine.state', {});
        if (seq !== engineLoadSeq) return;
        set((state) => ({
          engineState,
          engineError: undefined,
          ...(engineState.lastReport && !state.lastReport
            ? { lastReport: engineState.lastReport, engineLog: appendEngineReport(state.engineLog, engineState.lastReport) }
            : {}),
        }));
      } catch (error) {
        if (seq !== engineLoadSeq) return;
        set({ engineError: `Could not read the engine state: ${describeError(error)}` });
      }
    },
    applyEngineReport(report) {
      set((state) => ({
        lastReport: report,
        engineLog: appendEngineReport(state.engineLog, report),
        engineState: state.engineState && state.engineState.effectiveMode !== report.mode ? { ...state.engineState, effectiveMode: report.mode } : state.engineState,
      }));
      // Mode, pause or profile changed elsewhere (tray, CLI, a trigger): read the state again.
      if (report.events.some((event) => event.type === 'mode-changed' || event.type === 'profile-changed')) void get().loadEngine();
    },
    setEngineMode(mode) {
      return change('Could not change the engine mode', () => client().invoke('engine.setMode', { mode }));
    },
    pauseEngine(minutes) {
      return change(minutes === 0 ? 'Could not resume the engine' : 'Could not pause the engine', () => client().invoke('engine.pause', { minutes }));
    },
    setEngineProfile(profileId) {
      return change('Could not switch the profile', () => client().invoke('engine.setProfile', { profileId }));
    },
    async applyAdvice(decisionId) {
      const record = (ok: boolean, message: string): void =>
        set((state) => ({ adviceOutcomes: withNewestEntry(state.adviceOutcomes, decisionId, { ok, message }) }));
      try {
        const result = await client().invoke('engine.applyAdvice', { decisionId });
        if (result.kind === 'invalid') {
          record(false, result.message);
          get().pushToast('error', `Advice not applied: ${result.message}`);
          return result;
        }
        const status = result.decision.result?.status ?? 'sent';
        const ok = status === 'applied';
        const message = `${status}${result.decision.result?.message ? `: ${result.decision.result.message}` : ''}`;
        record(ok, message);
        set((state) => ({
          appliedAdvice: withNewestId(state.appliedAdvice, decisionId),
          engineLog: appendEngineReport(state.engineLog, { ...emptyReport(Date.now(), state.lastReport?.mode ?? 'advise'), decisions: [result.decision] }),
        }));
        get().pushToast(ok ? 'success' : 'error', `${result.decision.decision.target.name}: ${message}`);
        return result;
      } catch (error) {
        const text = describeError(error);
        record(false, text);
        get().pushToast('error', `Advice not applied: ${text}`);
        return undefined;
      }
    },
    async undoDecision(entry) {
      const ids = undoableChangeIds(entry);
      if (ids.length === 0) {
        get().pushToast('info', 'Nothing to undo for this decision');
        return;
      }
      for (const id of ids) await get().undoChange(id);
    },
  };
};

/** A report with nothing in it (to fold a single decision into the log). */
export function emptyReport(at: number, mode: Mode): TickReport {
  return {
    at,
    mode,
    decisions: [],
    alerts: [],
    events: [],
    forecasts: { systemCpu: [], systemMemory: [], programs: [], programSeries: 0 },
    modelErrors: [],
    external: [],
    timing: { forecastMs: 0, engineMs: 0, actMs: 0 },
  };
}

const HOUR_MS = 3_600_000;

/**
 * One line on what the engine did in the last hour, from the log: how many programs it restrained
 * and for how long in total (a restraint lasts until the decision that reverts it, or until now), and
 * how much less the protected programs waited according to the measured effects ("your foreground
 * waited 80 % less"). Pure.
 */
export function engineSummary(log: EngineLog, nowMs: number): string {
  const from = nowMs - HOUR_MS;
  const applied = log.entries.filter((e) => e.decision.apply && e.result?.status === 'applied');
  const revertedAt = new Map<string, number>();
  for (const e of applied) if (e.decision.revertOf) revertedAt.set(e.decision.revertOf, e.decision.at);
  const programs = new Set<string>();
  let restrainedMs = 0;
  let before = 0;
  let after = 0;
  for (const e of applied) {
    if (e.decision.revertOf) continue;
    const end = Math.min(nowMs, revertedAt.get(e.decision.id) ?? nowMs);
    if (end < from) continue;
    programs.add(e.decision.target.programId);
    restrainedMs += end - Math.max(from, e.decision.at);
    const n = e.effect?.numbers;
    if (n && n.protectedWaitMsPerSecBefore !== undefined && n.protectedWaitMsPerSecAfter !== undefined) {
      before += n.protectedWaitMsPerSecBefore;
      after += n.protectedWaitMsPerSecAfter;
    }
  }
  if (programs.size === 0) return 'In the last hour the engine restrained nothing.';
  const minutes = Math.max(1, Math.round(restrainedMs / 60_000));
  const waited = before > 0 ? Math.round((1 - after / before) * 100) : undefined;
  const effect = waited === undefined ? '' : waited >= 0 ? `; your foreground waited ${waited} % less` : `; your foreground waited ${-waited} % more`;
  return `In the last hour: restrained ${programs.size} program${programs.size === 1 ? '' : 's'} for ${minutes} min${effect}.`;
}

/** localStorage key of the first-run choice (the renderer keeps it; nothing in the core depends on it). */
export const FIRST_RUN_KEY = 'allot.engine.firstRunSeen';

export function firstRunSeen(): boolean {
  try {
    return globalThis.localStorage?.getItem(FIRST_RUN_KEY) === '1';
  } catch {
    return true;
  }
}

export function markFirstRunSeen(): void {
  try {
    globalThis.localStorage?.setItem(FIRST_RUN_KEY, '1');
  } catch {
    /* storage unavailable: the screen shows again next time */
  }
}
