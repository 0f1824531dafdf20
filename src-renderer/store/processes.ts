// Processes slice: the latest process list and system summary, plus the table's sort and filter.
import type { StateCreator } from 'zustand';
import type { Tick } from '../../src-shared/contract';
import type { ProcessSample, SystemSample } from '../../src-shared/domain';
import type { AppState } from './index';

export type SortDirection = 'asc' | 'desc';
export interface SortState {
  column: string;
  direction: SortDirection;
}

export interface ProcessesSlice {
  processes: ProcessSample[];
  system?: SystemSample;
  sampleAt?: number;
  seq: number;
  sort: SortState;
  filter: string;
  applyTick(tick: Tick): void;
  setSort(column: string): void;
  setFilter(filter: string): void;
}

export const createProcessesSlice: StateCreator<AppState, [], [], ProcessesSlice> = (set) => ({
  processes: [],
  seq: -1,
  sort: { column: 'cpuPercent', direction: 'desc' },
  filter: '',
  applyTick(tick) {
    set({ processes: tick.sample.processes, system: tick.sample.system, sampleAt: tick.sample.at, seq: tick.seq });
  },
  setSort(column) {
    set((state) => ({
      sort:
        state.sort.column === column
          ? { column, direction: state.sort.direction === 'asc' ? 'desc' : 'asc' }
          : { column, direction: column === 'name' || column === 'user' || column === 'state' ? 'asc' : 'desc' },
    }));
  },
  setFilter(filter) {
    set({ filter });
  },
});
