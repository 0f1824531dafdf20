// History slice: per-program usage over a range (history.top), one program's series, hour-of-week
// heat map and behavioural profile; the system series behind the Performance view's long ranges;
// a small cache of program profiles for the details pane; and export through export.run.
import type { StateCreator } from 'zustand';
import type { HistorySeries, ProgramProfileView, RequestInput, RequestOutput } from '../../src-shared/contract';
import { client } from '../ipc/client';
import { describeError } from './errors';
import type { AppState } from './index';

export const HISTORY_RANGES = { '1h': 3_600_000, '1d': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;
export type TopBy = RequestInput<'history.top'>['by'];
export type TopProgram = RequestOutput<'history.top'>[number];

/** Performance ranges: the first two come from the live ring, the rest from history.system. */
export const PERF_RANGES = { '1m': 60_000, '10m': 600_000, ...HISTORY_RANGES } as const;
export type PerfRange = keyof typeof PERF_RANGES;
export function isLiveRange(range: PerfRange): range is '1m' | '10m' {
  return range === '1m' || range === '10m';
}

/** A profile is read again after this long. */
export const PROFILE_TTL_MS = 60_000;

/**
 * history.hourOfWeek answers Sunday-based (index = day * 24 + hour, day 0 = Sunday); profiles are
 * Monday-based (index 0 = Monday 00:00). Every grid in the UI is Monday-based: this is the one place
 * that converts.
 */
export function mondayBasedHourOfWeek(sundayBased: readonly number[]): number[] {
  const out = new Array<number>(168).fill(0);
  for (let day = 0; day < 7; day++) {
    const monday = (day + 6) % 7;
    for (let hour = 0; hour < 24; hour++) out[monday * 24 + hour] = sundayBased[day * 24 + hour] ?? 0;
  }
  return out;
}

export interface ProfileEntry {
  profile?: ProgramProfileView;
  error?: string;
  loadedAtMs: number;
}

export interface HistorySlice {
  historyRange: HistoryRange;
  historyBy: TopBy;
  historyTop: TopProgram[];
  historyTopError?: string;
  historyLoading: boolean;
  historyProgram?: string;
  programHistory?: HistorySeries;
  /** Monday-based, 168 values (seconds running per hour of week). */
  programHourOfWeek?: number[];
  programDetailError?: string;
  programProfiles: Record<string, ProfileEntry>;
  perfRange: PerfRange;
  perfHistory?: HistorySeries;
  perfHistoryError?: string;
  perfHistoryLoading: boolean;
  loadHistoryTop(): Promise<void>;
  setHistoryRange(range: HistoryRange): void;
  setHistoryBy(by: TopBy): void;
  selectHistoryProgram(programId: string | undefined): Promise<void>;
  /** Read a program's profile unless a fresh one is cached (or `force`). */
  loadProgramProfile(programId: string, force?: boolean): Promise<void>;
  setPerfRange(range: PerfRange): void;
  loadPerfHistory(): Promise<void>;
  /** Run an export; undefined (and a toast) when it failed. */
  runExport(input: RequestInput<'export.run'>): Promise<RequestOutput<'export.run'> | undefined>;
}

export const createHistorySlice: StateCreator<AppState, [], [], HistorySlice> = (set, get) => {
  // One counter per loader: only the answer to the latest request is applied (and ends "loading"),
  // so an older, slower answer (a range clicked before the current one) cannot overwrite it.
  let topSeq = 0;
  let perfSeq = 0;
  return {
    historyRange: '1d',
    historyBy: 'cpu',
    historyTop: [],
    historyLoading: false,
    programProfiles: {},
    perfRange: '10m',
    perfHistoryLoading: false,
    async loadHistoryTop() {
      const seq = ++topSeq;
      const { historyRange, historyBy } = get();
      const toMs = Date.now();
      set({ historyLoading: true });
      try {
        const historyTop = await client().invoke('history.top', { fromMs: toMs - HISTORY_RANGES[historyRange], toMs, by: historyBy, limit: 50 });
        if (seq !== topSeq) return;
        set({ historyTop, historyTopError: undefined });
      } catch (error) {
        if (seq !== topSeq) return;
        set({ historyTopError: `Could not read history: ${describeError(error)}` });
      } finally {
        if (seq === topSeq) set({ historyLoading: false });
      }
      const selected = get().historyProgram;
      if (selected) void get().selectHistoryProgram(selected);
    },
    setHistoryRange(historyRange) {
      set({ historyRange });
      void get().loadHistoryTop();
    },
    setHistoryBy(historyBy) {
      set({ historyBy });
      void get().loadHistoryTop();
    },
    async selectHistoryProgram(programId) {
      if (programId === undefined) {
        set({ historyProgram: undefined, programHistory: undefined, programHourOfWeek: undefined, programDetailError: undefined });
        return;
      }
      const changed = get().historyProgram !== programId;
      set({
        historyProgram: programId,
        programDetailError: undefined,
        ...(changed ? { programHistory: undefined, programHourOfWeek: undefined } : {}),
      });
      const toMs = Date.now();
      const fromMs = toMs - HISTORY_RANGES[get().historyRange];
      const [series, hours] = await Promise.allSettled([
        client().invoke('history.program', { programId, fromMs, toMs }),
        client().invoke('history.hourOfWeek', { programId }),
        get().loadProgramProfile(programId, true),
      ]);
      if (get().historyProgram !== programId) return; // another program was picked meanwhile
      const errors: string[] = [];
      if (series.status === 'fulfilled') set({ programHistory: series.value });
      else errors.push(`usage: ${describeError(series.reason)}`);
      if (hours.status === 'fulfilled') set({ programHourOfWeek: mondayBasedHourOfWeek(hours.value) });
      else errors.push(`hour of week: ${describeError(hours.reason)}`);
      set({ programDetailError: errors.length > 0 ? `Could not read ${errors.join('; ')}` : undefined });
    },
    async loadProgramProfile(programId, force = false) {
      const cached = get().programProfiles[programId];
      if (!force && cached && Date.now() - cached.loadedAtMs < PROFILE_TTL_MS) return;
      let entry: ProfileEntry;
      try {
        entry = { profile: await client().invoke('profiles.get', { programId }), loadedAtMs: Date.now() };
      } catch (error) {
        entry = { error: describeError(error), loadedAtMs: Date.now() };
      }
      set((state) => {
        const programProfiles = { ...state.programProfiles, [programId]: entry };
        // A bounded cache: drop the oldest beyond 200 programs.
        const ids = Object.keys(programProfiles);
        if (ids.length > 200) {
          ids.sort((a, b) => programProfiles[a]!.loadedAtMs - programProfiles[b]!.loadedAtMs);
          for (const id of ids.slice(0, ids.length - 200)) delete programProfiles[id];
        }
        return { programProfiles };
      });
    },
    setPerfRange(perfRange) {
      set({ perfRange, ...(isLiveRange(perfRange) ? { perfHistoryError: undefined } : { perfHistory: undefined }) });
      if (!isLiveRange(perfRange)) void get().loadPerfHistory();
    },
    async loadPerfHistory() {
      const range = get().perfRange;
      if (isLiveRange(range)) return;
      const seq = ++perfSeq;
      const toMs = Date.now();
      set({ perfHistoryLoading: true });
      try {
        const perfHistory = await client().invoke('history.system', { fromMs: toMs - PERF_RANGES[range], toMs });
        if (seq !== perfSeq || get().perfRange !== range) return;
        set({ perfHistory, perfHistoryError: undefined });
      } catch (error) {
        if (seq !== perfSeq) return;
        set({ perfHistoryError: `Could not read history: ${describeError(error)}` });
      } finally {
        if (seq === perfSeq) set({ perfHistoryLoading: false });
      }
    },
    async runExport(input) {
      try {
        const output = await client().invoke('export.run', input);
        get().pushToast('success', `Exported ${output.rows} rows to ${output.filename}`);
        return output;
      } catch (error) {
        get().pushToast('error', `Export failed: ${describeError(error)}`);
        return undefined;
      }
    },
  };
};
