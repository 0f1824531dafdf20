// The one zustand store, built from slices. Components read it with selectors; actions call ipc/client.
import { create } from 'zustand';
import { createConnectionSlice, type ConnectionSlice } from './connection';
import { createProcessesSlice, type ProcessesSlice } from './processes';

export type AppState = ConnectionSlice & ProcessesSlice;

export const useStore = create<AppState>()((...args) => ({
  ...createConnectionSlice(...args),
  ...createProcessesSlice(...args),
}));
