// One data directory (issue 11 §6): the desktop app uses the directory `allot serve` and the CLI use,
// not Electron's userData, and moves an older desktop store over once. Electron is mocked, typed
// against its real definitions.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Electron from 'electron';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../../src-main/store/db';
import { createSettingsStore, readStoredSettings, SETTINGS_MIGRATIONS } from '../../../src-main/store/settings';
import { MIGRATED_MARKER, defaultDataDir, legacyDesktopDataDir } from '../../../src-main/core/paths';

const paths = { userData: '' };
vi.mock('electron', () => {
  const app: Pick<Electron.App, 'getPath'> = {
    getPath: (name: Parameters<Electron.App['getPath']>[0]) => {
      if (name !== 'userData') throw new Error(`unexpected getPath(${name})`);
      return paths.userData;
    },
  };
  return { app };
});

describe('the desktop data directory', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'allot-datadir-'));
    env = { XDG_DATA_HOME: join(root, 'share'), XDG_CONFIG_HOME: join(root, 'config') };
    // Electron's userData for productName "Allot" on Linux: $XDG_CONFIG_HOME/Allot.
    paths.userData = join(root, 'config', 'Allot');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is the directory the CLI and `allot serve` use, not Electron userData', async () => {
    const { desktopDataDir } = await import('../../../src-main/electron/data-dir');
    const desktop = desktopDataDir(env, 'linux');
    expect(desktop.dataDir).toBe(defaultDataDir('linux', env)); // what `allot export` and `allot serve` open
    expect(desktop.dataDir).toBe(join(root, 'share', 'allot'));
    expect(desktop.dataDir).not.toBe(paths.userData);
    // The CLI looks for an old desktop store exactly where Electron kept it.
    expect(legacyDesktopDataDir('linux', env)).toBe(paths.userData);
  });

  it('moves an older desktop store over once, through SQLite, and leaves a note where it was', async () => {
    mkdirSync(paths.userData, { recursive: true });
    const old = openDb({ path: join(paths.userData, 'allot.db'), migrations: SETTINGS_MIGRATIONS });
    expect(createSettingsStore(old).updateSettings({ intervalMs: 2000 }).ok).toBe(true);
    old.close();
    const { desktopDataDir } = await import('../../../src-main/electron/data-dir');
    const first = desktopDataDir(env, 'linux');
    expect(first.migration).toEqual({ kind: 'migrated', from: paths.userData, to: first.dataDir });
    const moved = openDb({ path: join(first.dataDir, 'allot.db'), readonly: true });
    expect(readStoredSettings(moved).intervalMs).toBe(2000);
    moved.close();
    expect(readFileSync(join(paths.userData, MIGRATED_MARKER), 'utf8')).toContain(first.dataDir);
    expect(desktopDataDir(env, 'linux').migration.kind).toBe('none'); // once
  });

  it('leaves both alone when the shared directory already has a store', async () => {
    mkdirSync(paths.userData, { recursive: true });
    openDb({ path: join(paths.userData, 'allot.db'), migrations: SETTINGS_MIGRATIONS }).close();
    const shared = defaultDataDir('linux', env);
    mkdirSync(shared, { recursive: true });
    const current = openDb({ path: join(shared, 'allot.db'), migrations: SETTINGS_MIGRATIONS });
    createSettingsStore(current).updateSettings({ intervalMs: 3000 });
    current.close();
    const { desktopDataDir } = await import('../../../src-main/electron/data-dir');
    expect(desktopDataDir(env, 'linux').migration).toMatchObject({ kind: 'none', reason: expect.stringMatching(/already has a store/) });
    const kept = openDb({ path: join(shared, 'allot.db'), readonly: true });
    expect(readStoredSettings(kept).intervalMs).toBe(3000);
    kept.close();
    expect(existsSync(join(paths.userData, MIGRATED_MARKER))).toBe(false);
  });
});
