// UI slice: which view is shown, the toast area for failed or finished actions, and the one modal
// dialog open at a time (override dialog or end-task confirmation). No IPC here.
import type { StateCreator } from 'zustand';
import type { Operation } from '../../src-shared/actions';
import type { ProcessSample } from '../../src-shared/domain';
import type { AppState } from './index';

export type ViewId = 'processes' | 'performance' | 'engine' | 'rules' | 'history' | 'changes' | 'settings';

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  message: string;
}

export type DialogState =
  | { kind: 'override'; targets: ProcessSample[]; preset?: Operation | 'tier' }
  | { kind: 'confirmEnd'; targets: ProcessSample[] }
  | null;

export interface UiSlice {
  view: ViewId;
  toasts: Toast[];
  dialog: DialogState;
  detailsOpen: boolean;
  setView(view: ViewId): void;
  pushToast(kind: Toast['kind'], message: string): void;
  dismissToast(id: number): void;
  openDialog(dialog: Exclude<DialogState, null>): void;
  closeDialog(): void;
  setDetailsOpen(open: boolean): void;
}

/** At most this many toasts at once; older ones drop off. */
export const MAX_TOASTS = 5;
let nextToastId = 1;

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  view: 'processes',
  toasts: [],
  dialog: null,
  detailsOpen: true,
  setView(view) {
    set({ view });
  },
  pushToast(kind, message) {
    set((state) => {
      // The same message twice in a row (a failing poll) shows once.
      const last = state.toasts[state.toasts.length - 1];
      if (last && last.message === message && last.kind === kind) return {};
      return { toasts: [...state.toasts, { id: nextToastId++, kind, message }].slice(-MAX_TOASTS) };
    });
  },
  dismissToast(id) {
    set((state) => ({ toasts: state.toasts.filter((toast) => toast.id !== id) }));
  },
  openDialog(dialog) {
    set({ dialog });
  },
  closeDialog() {
    set({ dialog: null });
  },
  setDetailsOpen(detailsOpen) {
    set({ detailsOpen });
  },
});
