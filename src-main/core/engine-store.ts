// What the engine service keeps in the store: the rules file the user saved, and the program
// profiles, launch times and mapped files it learned (one row each, rewritten whole).
import { DEFAULT_RULES_FILE, formatRulesFile, parseRulesFile, type RulesFile } from '../../src-shared/rules';
import type { Db, Migration } from '../store/db';
import { createProfileStore, profilesFromJSON, profilesToJSON, type ProfileStore } from '../engine/profiles';
import type { MappedFile } from '../platform/prefetch';

export const ENGINE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'engine.1',
    sql: `
      CREATE TABLE engine_rules (id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
      CREATE TABLE engine_profiles (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, launches_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
    `,
  },
];

/** The files a program mapped when it last ran (its executable and libraries). */
export interface ProgramFiles {
  name: string;
  files: MappedFile[];
}

/** The stored rules file if it still parses, else the built-in set (and a logged reason). */
export function loadRules(db: Db, log: (message: string) => void): { text: string; file: RulesFile } {
  const stored = db.prepare('SELECT text FROM engine_rules WHERE id = 1').raw().get() as [string] | undefined;
  if (stored) {
    const parsed = parseRulesFile(stored[0]);
    if (parsed.ok) return { text: stored[0], file: parsed.value };
    log(`stored rules no longer valid (line ${parsed.error.line}: ${parsed.error.message}); using the built-in rules`);
  }
  return { text: formatRulesFile(DEFAULT_RULES_FILE), file: DEFAULT_RULES_FILE };
}

export function saveRules(db: Db, text: string, nowMs: number): void {
  db.prepare('INSERT INTO engine_rules (id, text, updated_at_ms) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET text = excluded.text, updated_at_ms = excluded.updated_at_ms').run(text, nowMs);
}

export interface LearnedState {
  profiles: ProfileStore;
  /** Start times per program, oldest first. */
  launches: Map<string, number[]>;
  programFiles: Map<string, ProgramFiles>;
}

/** Profiles, launch times and program files learned by earlier runs; what cannot be read is logged and left empty. */
export function loadLearned(db: Db, utcOffsetMinutes: number, log: (message: string) => void): LearnedState {
  const learned: LearnedState = { profiles: createProfileStore({ utcOffsetMinutes }), launches: new Map(), programFiles: new Map() };
  const stored = db.prepare('SELECT json, launches_json FROM engine_profiles WHERE id = 1').raw().get() as [string, string] | undefined;
  if (!stored) return learned;
  try {
    const restored = profilesFromJSON(JSON.parse(stored[0]));
    if (restored.ok) learned.profiles = restored.value;
    else log(`stored profiles ignored: ${restored.error}`);
    const rest = JSON.parse(stored[1]) as { launches?: Array<[string, number[]]>; files?: Array<[string, ProgramFiles]> };
    for (const [programId, times] of rest.launches ?? []) learned.launches.set(programId, times);
    for (const [programId, entry] of rest.files ?? []) learned.programFiles.set(programId, entry);
  } catch (error) {
    log(`stored profiles ignored: ${(error as Error).message}`);
  }
  return learned;
}

/** Write what was learned (throws what the database throws). */
export function saveLearned(db: Db, learned: LearnedState, nowMs: number): void {
  db.prepare(
    'INSERT INTO engine_profiles (id, json, launches_json, updated_at_ms) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, launches_json = excluded.launches_json, updated_at_ms = excluded.updated_at_ms',
  ).run(JSON.stringify(profilesToJSON(learned.profiles)), JSON.stringify({ launches: [...learned.launches], files: [...learned.programFiles] }), nowMs);
}
