// Processes slice: the latest process list and system summary, a short per-process history for the
// details pane, and the table's view state (mode, sort, filter, columns, expansion, selection).
// Column choice and mode persist in localStorage.
import type { StateCreator } from 'zustand';
import type { Tick, TickStatus } from '../../src-shared/contract';
import type { ProcessSample, SystemSample } from '../../src-shared/domain';
import { DEFAULT_COLUMN_IDS, normalizeColumnIds } from '../model/process-columns';
import { buildRows, processKey, programOf, type DisplayRow, type RowOptions, type ViewMode } from '../model/process-rows';
import type { AppState } from './index';
import { appendPerf, perfCapacity } from './perf';

export type SortDirection = 'asc' | 'desc';
export interface SortState {
  column: string;
  direction: SortDirection;
}

/** Points of per-process history kept for the details pane (2 minutes at 1 s). */
export const PROCESS_HISTORY_POINTS = 120;

export interface ProcessHistory {
  at: number[];
  cpuPercent: number[];
  rssBytes: number[];
}

export type SelectMode = 'single' | 'toggle' | 'range';

export interface ProcessesSlice {
  processes: ProcessSample[];
  /**
   * The table's rows for the current mode, sort, filter and expansion: rebuilt once per tick and on
   * every change of those (not per render). The table paints them outside React.
   */
  rows: DisplayRow[];
  /** Group rows in `rows` (grouped mode), for the status line. */
  rowGroupCount: number;
  system?: SystemSample;
  sampleAt?: number;
  seq: number;
  /** Conditions from the last tick (history paused, ...), shown as a banner while they last. */
  tickStatus?: TickStatus;
  sort: SortState;
  filter: string;
  mode: ViewMode;
  columns: string[];
  /** Tree mode: processes whose children are hidden. */
  collapsed: ReadonlySet<string>;
  /** Grouped mode: groups whose members are shown. */
  expandedGroups: ReadonlySet<string>;
  selected: readonly string[];
  /** Where a shift-click range starts and arrow keys move from. */
  anchor?: string;
  /** Per-process history, mutated in place each tick; `historyVersion` changes when it does. */
  processHistory: Map<string, ProcessHistory>;
  historyVersion: number;
  applyTick(tick: Tick): void;
  setSort(column: string): void;
  setFilter(filter: string): void;
  setMode(mode: ViewMode): void;
  setColumns(ids: readonly string[]): void;
  toggleExpanded(key: string): void;
  select(key: string, mode: SelectMode, orderedKeys: readonly string[]): void;
  /** Move the selection by `delta` rows within `orderedKeys` (arrow keys). */
  moveSelection(delta: number, orderedKeys: readonly string[], extend: boolean): void;
  clearSelection(): void;
}

const COLUMNS_KEY = 'allot.columns';
const MODE_KEY = 'allot.viewMode';

function storage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

export function loadColumns(): string[] {
  try {
    const raw = storage()?.getItem(COLUMNS_KEY);
    if (raw) {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return normalizeColumnIds(parsed);
    }
  } catch {
    // A corrupt entry falls back to the defaults.
  }
  return [...DEFAULT_COLUMN_IDS];
}

function loadMode(): ViewMode {
  const raw = storage()?.getItem(MODE_KEY);
  return raw === 'tree' || raw === 'grouped' ? raw : 'flat';
}

/** Keys of the process objects seen: unchanged processes are the same object tick after tick. */
const keyOfProcess = new WeakMap<ProcessSample, string>();
function cachedKey(process: ProcessSample): string {
  let key = keyOfProcess.get(process);
  if (key === undefined) keyOfProcess.set(process, (key = processKey(process)));
  return key;
}
/** Which update last saw each history entry: an entry not seen by this one is a process that is gone. */
const lastSeen = new WeakMap<ProcessHistory, number>();
let updates = 0;

/** Append this tick to each process's history and forget processes that are gone. */
export function updateProcessHistory(history: Map<string, ProcessHistory>, at: number, processes: readonly ProcessSample[]): void {
  const update = ++updates;
  for (const process of processes) {
    const key = cachedKey(process);
    let entry = history.get(key);
    if (!entry) history.set(key, (entry = { at: [], cpuPercent: [], rssBytes: [] }));
    lastSeen.set(entry, update);
    entry.at.push(at);
    entry.cpuPercent.push(process.cpuPercent);
    entry.rssBytes.push(process.rssBytes);
    if (entry.at.length > PROCESS_HISTORY_POINTS) {
      entry.at.shift();
      entry.cpuPercent.shift();
      entry.rssBytes.shift();
    }
  }
  for (const [key, entry] of history) if (lastSeen.get(entry) !== update) history.delete(key);
}

function sameStatus(a: TickStatus | undefined, b: TickStatus | undefined): boolean {
  return a?.history.state === b?.history.state && a?.history.message === b?.history.message;
}

/**
 * `keys` without those whose process (or, for "group:<program>", every process of the program) is
 * gone; the same set when nothing is, so a tick without exits makes no new state. Keeps the tree's
 * collapsed and expanded sets from growing with every process that ever exited.
 */
export function pruneKeys(keys: ReadonlySet<string>, processes: readonly ProcessSample[]): ReadonlySet<string> {
  if (keys.size === 0) return keys;
  const live = new Set<string>();
  for (const process of processes) {
    live.add(processKey(process));
    live.add(`group:${programOf(process)}`);
  }
  let gone = false;
  for (const key of keys) if (!live.has(key)) gone = true;
  return gone ? new Set([...keys].filter((key) => live.has(key))) : keys;
}

/** Rows for `state`'s view options over `processes`, starting from the previous order. */
function rowsFor(
  state: Pick<ProcessesSlice, 'rows' | 'mode' | 'filter' | 'sort' | 'collapsed' | 'expandedGroups'>,
  processes: readonly ProcessSample[],
): Pick<ProcessesSlice, 'rows' | 'rowGroupCount'> {
  const options: RowOptions = { mode: state.mode, filter: state.filter, sort: state.sort, collapsed: state.collapsed, expandedGroups: state.expandedGroups };
  const rows = buildRows(processes, options, state.rows);
  let rowGroupCount = 0;
  if (state.mode === 'grouped') for (const row of rows) if (row.kind === 'group') rowGroupCount++;
  return { rows, rowGroupCount };
}

const TEXT_COLUMNS = new Set(['name', 'user', 'state', 'cmdline', 'exe', 'cgroup', 'programId', 'schedPolicy', 'ioClass']);

export const createProcessesSlice: StateCreator<AppState, [], [], ProcessesSlice> = (set, get) => ({
  processes: [],
  rows: [],
  rowGroupCount: 0,
  seq: -1,
  sort: { column: 'cpuPercent', direction: 'desc' },
  filter: '',
  mode: loadMode(),
  columns: loadColumns(),
  collapsed: new Set(),
  expandedGroups: new Set(),
  selected: [],
  processHistory: new Map(),
  historyVersion: 0,
  applyTick(tick) {
    const { sample } = tick;
    const state = get();
    updateProcessHistory(state.processHistory, sample.at, sample.processes);
    const capacity = perfCapacity(state.settings?.intervalMs ?? state.appInfo?.intervalMs ?? 1000);
    const collapsed = pruneKeys(state.collapsed, sample.processes);
    const expandedGroups = pruneKeys(state.expandedGroups, sample.processes);
    // One set per tick: one notification, one render.
    set({
      processes: sample.processes,
      collapsed,
      expandedGroups,
      ...rowsFor({ ...state, collapsed, expandedGroups }, sample.processes),
      system: sample.system,
      sampleAt: sample.at,
      seq: tick.seq,
      // Keep the same object while nothing changed, so the banner does not re-render every tick.
      tickStatus: sameStatus(state.tickStatus, tick.status) ? state.tickStatus : tick.status,
      historyVersion: state.historyVersion + 1,
      perf: appendPerf(state.perf, sample, capacity),
      perfCapacity: capacity,
    });
  },
  setSort(column) {
    set((state) => {
      const sort: SortState =
        state.sort.column === column
          ? { column, direction: state.sort.direction === 'asc' ? 'desc' : 'asc' }
          : { column, direction: TEXT_COLUMNS.has(column) ? 'asc' : 'desc' };
      return { sort, ...rowsFor({ ...state, sort }, state.processes) };
    });
  },
  setFilter(filter) {
    set((state) => ({ filter, ...rowsFor({ ...state, filter }, state.processes) }));
  },
  setMode(mode) {
    storage()?.setItem(MODE_KEY, mode);
    set((state) => ({ mode, ...rowsFor({ ...state, mode }, state.processes) }));
  },
  setColumns(ids) {
    const columns = normalizeColumnIds(ids);
    storage()?.setItem(COLUMNS_KEY, JSON.stringify(columns));
    set({ columns });
  },
  toggleExpanded(key) {
    if (key.startsWith('group:')) {
      set((state) => {
        const next = new Set(state.expandedGroups);
        if (!next.delete(key)) next.add(key);
        return { expandedGroups: next, ...rowsFor({ ...state, expandedGroups: next }, state.processes) };
      });
    } else {
      set((state) => {
        const next = new Set(state.collapsed);
        if (!next.delete(key)) next.add(key);
        return { collapsed: next, ...rowsFor({ ...state, collapsed: next }, state.processes) };
      });
    }
  },
  select(key, mode, orderedKeys) {
    set((state) => {
      if (mode === 'toggle') {
        const selected = state.selected.includes(key) ? state.selected.filter((k) => k !== key) : [...state.selected, key];
        return { selected, anchor: key };
      }
      if (mode === 'range' && state.anchor !== undefined) {
        const from = orderedKeys.indexOf(state.anchor);
        const to = orderedKeys.indexOf(key);
        if (from >= 0 && to >= 0) {
          const [lo, hi] = from <= to ? [from, to] : [to, from];
          // The clicked row is the focus (last, where arrows continue from); the anchor stays the
          // range's other end.
          const range = orderedKeys.slice(lo, hi + 1).filter((k) => k !== key);
          return { selected: [...range, key] };
        }
      }
      return { selected: [key], anchor: key };
    });
  },
  moveSelection(delta, orderedKeys, extend) {
    if (orderedKeys.length === 0) return;
    const state = get();
    const current = state.selected.length > 0 ? state.selected[state.selected.length - 1]! : undefined;
    const index = current === undefined ? -1 : orderedKeys.indexOf(current);
    const nextIndex = index < 0 ? (delta > 0 ? 0 : orderedKeys.length - 1) : Math.min(orderedKeys.length - 1, Math.max(0, index + delta));
    const key = orderedKeys[nextIndex]!;
    if (extend && state.anchor !== undefined) {
      const from = orderedKeys.indexOf(state.anchor);
      if (from >= 0) {
        const [lo, hi] = from <= nextIndex ? [from, nextIndex] : [nextIndex, from];
        // Keep the moving end last so the next arrow continues from it.
        const range = orderedKeys.slice(lo, hi + 1).filter((k) => k !== key);
        set({ selected: [...range, key] });
        return;
      }
    }
    set({ selected: [key], anchor: key });
  },
  clearSelection() {
    set({ selected: [], anchor: undefined });
  },
});
