// The one zustand store, built from slices. Components read it with selectors; actions call ipc/client.
import { create } from 'zustand';
import { createChangesSlice, type ChangesSlice } from './changes';
import { createConnectionSlice, type ConnectionSlice } from './connection';
import { createPerfSlice, type PerfSlice } from './perf';
import { createProcessesSlice, type ProcessesSlice } from './processes';
import { createSettingsSlice, type SettingsSlice } from './settings';
import { createUiSlice, type UiSlice } from './ui';
import { createEngineSlice, type EngineSlice } from './engine';
import { createRulesSlice, type RulesSlice } from './rules';
import { createHistorySlice, type HistorySlice } from './history';

export type AppState = ConnectionSlice & ProcessesSlice & PerfSlice & ChangesSlice & SettingsSlice &
  UiSlice &
  EngineSlice &
  RulesSlice &
  HistorySlice;

/** A fresh store (tests make their own; the app uses `useStore`). */
export function createAppStore() {
  return create<AppState>()((...args) => ({
    ...createConnectionSlice(...args),
    ...createProcessesSlice(...args),
    ...createPerfSlice(...args),
    ...createChangesSlice(...args),
    ...createSettingsSlice(...args),
    ...createUiSlice(...args),
    ...createEngineSlice(...args),
    ...createRulesSlice(...args),
    ...createHistorySlice(...args),
  }));
}

export const useStore = createAppStore();
export type AppStore = typeof useStore;
