// What the engine service keeps in the store (src-main/core/engine-store.ts): rules and learned
// state round-trip, and what no longer reads is logged and replaced by the defaults.
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src-main/store/db';
import { ENGINE_MIGRATIONS, loadLearned, loadRules, saveLearned, saveRules } from '../../../src-main/core/engine-store';
import { createProfileStore } from '../../../src-main/engine/profiles';
import { DEFAULT_RULES_FILE, formatRulesFile } from '../../../src-shared/rules';

let db: Db;
afterEach(() => db?.close());
const open = () => (db = openDb({ path: ':memory:', migrations: ENGINE_MIGRATIONS }));

describe('engine store', () => {
  it('reads back the rules it saved, and the built-in rules when none or invalid ones are stored', () => {
    open();
    const logged: string[] = [];
    expect(loadRules(db, (m) => logged.push(m))).toEqual({ text: formatRulesFile(DEFAULT_RULES_FILE), file: DEFAULT_RULES_FILE });
    const text = `${formatRulesFile(DEFAULT_RULES_FILE)}\n\n`; // the user's own layout is kept as it was saved
    saveRules(db, text, 1);
    expect(loadRules(db, (m) => logged.push(m)).text).toBe(text);
    expect(logged).toEqual([]);
    saveRules(db, 'this is { not a rules file', 2);
    expect(loadRules(db, (m) => logged.push(m)).file).toBe(DEFAULT_RULES_FILE);
    expect(logged).toEqual([expect.stringMatching(/^stored rules no longer valid/)]);
  });

  it('reads back launches and program files, and starts empty when the stored state is unreadable', () => {
    open();
    const log = (m: string) => logged.push(m);
    const logged: string[] = [];
    const empty = loadLearned(db, 0, log);
    expect([empty.launches.size, empty.programFiles.size, empty.profiles.programs.size]).toEqual([0, 0, 0]);
    const launches = new Map([['/usr/bin/make', [1, 2, 3]]]);
    const programFiles = new Map([['/usr/bin/make', { name: 'make', files: [{ path: '/usr/bin/make', inode: 7 }] }]]);
    saveLearned(db, { profiles: createProfileStore({}), launches, programFiles }, 10);
    const back = loadLearned(db, 0, log);
    expect([...back.launches]).toEqual([...launches]);
    expect([...back.programFiles]).toEqual([...programFiles]);
    expect(logged).toEqual([]);
    db.prepare("UPDATE engine_profiles SET launches_json = '{broken'").run();
    const broken = loadLearned(db, 0, log);
    expect(broken.launches.size).toBe(0);
    expect(logged).toEqual([expect.stringMatching(/^stored profiles ignored/)]);
  });
});
