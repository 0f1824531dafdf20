// The one zustand store, built from slices. Components read it with selectors; actions call ipc/client.
import { create } from 'zustand';
import { createChangesSlice, type ChangesSlice } from './changes';
import { createConnectionSlice, type ConnectionSlice } from './connection';
import { createPerfSlice, type PerfSlice } from './perf';
import { createProcessesSlice, type ProcessesSlice } from './processes';
import { createSettingsSlice, type SettingsSlice } from './settings';
import { createUiSlice, type UiSlice } from './ui';

export type AppState = ConnectionSlice & ProcessesSlice & PerfSlice & ChangesSlice & SettingsSlice & UiSlice;

/** A fresh store (tests make their own; the app uses `useStore`). */
export function createAppStore() {
  return create<AppState>()((...args) => ({
    ...createConnectionSlice(...args),
    ...createProcessesSlice(...args),
    ...createPerfSlice(...args),
    ...createChangesSlice(...args),
    ...createSettingsSlice(...args),
    ...createUiSlice(...args),
  }));
}

export const useStore = createAppStore();
export type AppStore = typeof useStore;
