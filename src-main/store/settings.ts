// Settings persisted in the embedded store: one row per top-level key, value as JSON, validated with
// the zod schema in src-shared/settings.ts on the way in and on the way out.
import {
  DEFAULT_SETTINGS,
  SettingsSchema,
  mergeSettings,
  type Settings,
  type SettingsError,
  type SettingsKey,
} from '../../src-shared/settings';
import { migrate, type Db, type Migration } from './db';
import { errorMessage } from '../../src-shared/errors';

export const SETTINGS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'settings.1',
    sql: `CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value_json TEXT NOT NULL,
      updated_at_ms INTEGER NOT NULL
    )`,
  },
];

export type SettingsListener = (next: Settings, previous: Settings, changedKeys: SettingsKey[]) => void;

export type UpdateSettingsResult =
  | { ok: true; settings: Settings; changedKeys: SettingsKey[] }
  | { ok: false; error: SettingsError };

export interface SettingsStore {
  getSettings(): Settings;
  /** Validate and persist a partial update. Bad input changes nothing and says why. Never throws. */
  updateSettings(patch: unknown): UpdateSettingsResult;
  /** Put every key back to its default. */
  resetSettings(): UpdateSettingsResult;
  /** Called after each successful change; returns the unsubscribe function. */
  onChange(listener: SettingsListener): () => void;
  /** Keys whose stored value was unreadable or invalid at load and fell back to the default. */
  readonly repairedKeys: readonly SettingsKey[];
}

const clone = <T>(value: T): T => structuredClone(value);

export function createSettingsStore(db: Db): SettingsStore {
  migrate(db, SETTINGS_MIGRATIONS);
  const repairedKeys: SettingsKey[] = [];
  let current = load(db, repairedKeys);
  const listeners = new Set<SettingsListener>();
  const upsert = db.prepare(
    `INSERT INTO settings (key, value_json, updated_at_ms) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at_ms = excluded.updated_at_ms`,
  );

  function persist(next: Settings, keys: readonly SettingsKey[]): string | undefined {
    const now = Date.now();
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const key of keys) upsert.run(key, JSON.stringify(next[key]), now);
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  function apply(patch: unknown): UpdateSettingsResult {
    const merged = mergeSettings(current, patch);
    if (!merged.ok) return merged;
    if (merged.changedKeys.length === 0) return { ok: true, settings: clone(current), changedKeys: [] };
    const failure = persist(merged.settings, merged.changedKeys);
    if (failure !== undefined) {
      return { ok: false, error: { message: `Could not save settings: ${failure}`, issues: [] } };
    }
    const previous = current;
    current = merged.settings;
    for (const listener of listeners) {
      try {
        listener(clone(current), clone(previous), merged.changedKeys);
      } catch {
        // A failing listener must not undo a saved change or stop the others.
      }
    }
    return { ok: true, settings: clone(current), changedKeys: merged.changedKeys };
  }

  return {
    getSettings: () => clone(current),
    updateSettings: apply,
    resetSettings: () => apply(clone(DEFAULT_SETTINGS)),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    repairedKeys,
  };
}

/**
 * The settings as stored, read without writing (another process may own the database): for a front
 * end that needs them before its core starts (`allot serve` checks its port first). Defaults when the
 * store does not exist yet.
 */
export function readStoredSettings(db: Db): Settings {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get() !== undefined;
  return hasTable ? load(db, []) : clone(DEFAULT_SETTINGS);
}

/** Stored values over defaults, key by key; a key that does not validate falls back to its default. */
function load(db: Db, repairedKeys: SettingsKey[]): Settings {
  const settings: Record<string, unknown> = clone(DEFAULT_SETTINGS);
  const rows = db.prepare('SELECT key, value_json FROM settings').raw().all() as Array<[string, string]>;
  const shape = SettingsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
  for (const [key, valueJson] of rows) {
    const schema = shape[key];
    if (!schema) continue; // a key from a newer or older version: ignored, kept in the table
    let value: unknown;
    try {
      value = JSON.parse(valueJson);
    } catch {
      repairedKeys.push(key as SettingsKey);
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) settings[key] = parsed.data;
    else repairedKeys.push(key as SettingsKey);
  }
  const whole = SettingsSchema.safeParse(settings);
  if (whole.success) return whole.data;
  // Individually valid keys that together break a cross-field rule: defaults for the keys involved.
  for (const issue of whole.error.issues) {
    const key = issue.path[0];
    if (typeof key === 'string' && key in DEFAULT_SETTINGS) {
      settings[key] = clone(DEFAULT_SETTINGS[key as SettingsKey]);
      repairedKeys.push(key as SettingsKey);
    }
  }
  return SettingsSchema.parse(settings);
}
