// Settings slice: the settings as the core holds them, and updates with the server's validation
// errors mapped to the field they belong to (dotted path, e.g. "history.retention10sMs").
import type { StateCreator } from 'zustand';
import { RequestError } from '../../src-shared/contract';
import type { Settings, SettingsPatch } from '../../src-shared/settings';
import { client } from '../ipc/client';
import type { AppState } from './index';
import { errorMessage } from '../../src-shared/errors';

export interface SettingsSlice {
  settings?: Settings;
  /** Error per dotted field path from the last refused update. */
  settingsErrors: Record<string, string>;
  loadSettings(): Promise<void>;
  /** Send a patch; true when the core accepted it. Never throws. */
  updateSettings(patch: SettingsPatch): Promise<boolean>;
  /** Add a program to settings.excludedPrograms (the engine never touches it). */
  excludeProgram(programId: string): Promise<void>;
}

/** Dotted paths of every leaf a patch names ("intervalMs", "history.enabled", ...). */
export function patchPaths(patch: SettingsPatch): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const sub of Object.keys(value)) paths.push(`${key}.${sub}`);
    } else paths.push(key);
  }
  return paths;
}

/**
 * Field errors from a refused update. Issues with a path go to that path (a leading "patch"/"input"
 * segment is dropped); when the server gave no usable path, the message goes to every field the
 * patch named, so it still shows next to what the person changed.
 */
export function settingsErrorsFrom(error: unknown, patch: SettingsPatch): Record<string, string> {
  const errors: Record<string, string> = {};
  const named = patchPaths(patch);
  if (error instanceof RequestError && error.issues && error.issues.length > 0) {
    for (const issue of error.issues) {
      const path = issue.path.replace(/^(patch|input)\./, '');
      const target = named.find((p) => p === path || path.startsWith(`${p}.`) || p.startsWith(`${path}.`)) ?? (path || undefined);
      if (target && !errors[target]) errors[target] = issue.message;
    }
    if (Object.keys(errors).length > 0) return errors;
  }
  const text = errorMessage(error);
  for (const path of named) errors[path] = text;
  return errors;
}

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set, get) => ({
  settingsErrors: {},
  async loadSettings() {
    try {
      set({ settings: await client().invoke('settings.get', {}) });
    } catch (error) {
      get().pushToast('error', `Could not load settings: ${errorMessage(error)}`);
    }
  },
  async updateSettings(patch) {
    try {
      const settings = await client().invoke('settings.update', patch);
      const cleared = { ...get().settingsErrors };
      for (const path of patchPaths(patch)) delete cleared[path];
      set({ settings, settingsErrors: cleared });
      return true;
    } catch (error) {
      set((state) => ({ settingsErrors: { ...state.settingsErrors, ...settingsErrorsFrom(error, patch) } }));
      return false;
    }
  },
  async excludeProgram(programId) {
    let current = get().settings;
    if (!current) {
      await get().loadSettings();
      current = get().settings;
    }
    if (!current) return;
    if (current.excludedPrograms.includes(programId)) {
      get().pushToast('info', `${programId} is already excluded from the engine`);
      return;
    }
    const ok = await get().updateSettings({ excludedPrograms: [...current.excludedPrograms, programId] });
    if (ok) get().pushToast('success', `${programId} excluded from the engine`);
    else get().pushToast('error', `Could not exclude ${programId}: ${get().settingsErrors['excludedPrograms'] ?? 'refused'}`);
  },
});
