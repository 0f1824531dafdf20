import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src-main/store/db';
import { createSettingsStore } from '../../../src-main/store/settings';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../../../src-shared/settings';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function fileDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'allot-settings-'));
  dirs.push(dir);
  return join(dir, 'allot.db');
}
function open(path: string): Db {
  const db = openDb({ path });
  dbs.push(db);
  return db;
}

describe('settings schema', () => {
  it('accepts the defaults', () => {
    expect(SettingsSchema.parse(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.intervalMs).toBe(1000);
    expect(DEFAULT_SETTINGS.engine.mode).toBe('auto'); // a fresh install acts (issue 12)
    expect(DEFAULT_SETTINGS.agent.bindAddress).toBe('127.0.0.1');
    expect(DEFAULT_SETTINGS.startAtLogin).toBe(false);
  });
});

describe('settings store', () => {
  it('starts with defaults and persists updates across reopen', () => {
    const path = fileDbPath();
    const store = createSettingsStore(open(path));
    expect(store.getSettings()).toEqual(DEFAULT_SETTINGS);
    const result = store.updateSettings({ intervalMs: 250, theme: 'dark', agent: { port: 9000 }, history: { sizeCapBytes: 64 * 1024 * 1024 } });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.changedKeys.sort()).toEqual(['agent', 'history', 'intervalMs', 'theme']);
    dbs.pop()!.close();

    const reopened = createSettingsStore(open(path)).getSettings();
    expect(reopened.intervalMs).toBe(250);
    expect(reopened.theme).toBe('dark');
    // a nested patch changes only the fields it names
    expect(reopened.agent).toEqual({ ...DEFAULT_SETTINGS.agent, port: 9000 });
    expect(reopened.history).toEqual({ ...DEFAULT_SETTINGS.history, sizeCapBytes: 64 * 1024 * 1024 });
  });

  it.each([
    [{ intervalMs: 100 }, 'intervalMs'],
    [{ intervalMs: 10_001 }, 'intervalMs'],
    [{ intervalMs: 1000.5 }, 'intervalMs'],
    [{ intervalMs: '1000' }, 'intervalMs'],
    [{ theme: 'blue' }, 'theme'],
    [{ engine: { mode: 'yolo' } }, 'engine.mode'],
    [{ agent: { port: 70_000 } }, 'agent.port'],
    [{ agent: { bindAddress: 'not an address' } }, 'agent.bindAddress'],
    [{ agent: { extra: true } }, 'agent'],
    [{ history: { retention10sMs: 40 * 24 * 3_600_000 } }, 'history'],
    [{ history: { retention1mMs: 3_600_000 * 24 * 400, retention1hMs: 3_600_000 * 24 * 30 } }, 'history'],
    [{ unknownKey: 1 }, '(root)'],
    ['not an object', '(root)'],
  ])('refuses %j with a clear error and changes nothing', (patch, path) => {
    const db = open(':memory:');
    const store = createSettingsStore(db);
    store.updateSettings({ theme: 'light' });
    const before = store.getSettings();
    let calls = 0;
    store.onChange(() => calls++);
    const result = store.updateSettings(patch);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toMatch(/^Invalid settings: /);
      expect(result.error.issues.map((i) => i.path).join(' ')).toContain(path);
    }
    expect(store.getSettings()).toEqual(before);
    expect(calls).toBe(0);
    expect(createSettingsStore(db).getSettings()).toEqual(before);
  });

  it('tells listeners what changed, once per real change', () => {
    const store = createSettingsStore(open(':memory:'));
    const seen: Array<{ next: Settings; previous: Settings; keys: string[] }> = [];
    const off = store.onChange((next, previous, keys) => seen.push({ next, previous, keys }));
    store.updateSettings({ engine: { mode: 'advise' } });
    store.updateSettings({ engine: { mode: 'advise' } }); // no change, no call
    expect(seen).toHaveLength(1);
    expect(seen[0]!.keys).toEqual(['engine']);
    expect(seen[0]!.previous.engine.mode).toBe('auto');
    expect(seen[0]!.next.engine.mode).toBe('advise');
    off();
    store.updateSettings({ startMinimized: true });
    expect(seen).toHaveLength(1);
  });

  it('hands out copies, so callers cannot change settings behind its back', () => {
    const store = createSettingsStore(open(':memory:'));
    const copy = store.getSettings();
    copy.agent.port = 1;
    copy.excludedPrograms.push('x');
    expect(store.getSettings().agent.port).toBe(DEFAULT_SETTINGS.agent.port);
    expect(store.getSettings().excludedPrograms).toEqual([]);
  });

  it('falls back to the default for a stored value that no longer validates', () => {
    const db = open(':memory:');
    createSettingsStore(db).updateSettings({ intervalMs: 500, theme: 'dark' });
    db.prepare("UPDATE settings SET value_json = '99999' WHERE key = 'intervalMs'").run();
    db.prepare("UPDATE settings SET value_json = '{broken' WHERE key = 'theme'").run();
    const store = createSettingsStore(db);
    expect(store.getSettings().intervalMs).toBe(DEFAULT_SETTINGS.intervalMs);
    expect(store.getSettings().theme).toBe(DEFAULT_SETTINGS.theme);
    expect([...store.repairedKeys].sort()).toEqual(['intervalMs', 'theme']);
  });

  it('resets to defaults', () => {
    const store = createSettingsStore(open(':memory:'));
    store.updateSettings({ intervalMs: 2000, excludedPrograms: ['steam'] });
    const result = store.resetSettings();
    expect(result.ok).toBe(true);
    expect(store.getSettings()).toEqual(DEFAULT_SETTINGS);
  });
});
