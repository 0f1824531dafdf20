// Where Allot keeps its data and its admin socket, per OS. One place, so the desktop app, `allot
// serve` and the `allot` CLI agree: the desktop app does not use Electron's userData (on Linux
// ~/.config/Allot, which differs from ~/.local/share/allot); a store left there by an older desktop
// build is moved over once (migrateDataDir).
import { existsSync, mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { openDb } from '../store/db';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env['ALLOT_DATA_DIR']) return env['ALLOT_DATA_DIR'];
  switch (platform) {
    case 'win32':
      return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Allot');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Allot');
    default:
      return join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'allot');
  }
}

/**
 * The admin socket: a Unix socket in a directory only this user can enter (0700), or a named pipe
 * on Windows. `ALLOT_SOCKET` overrides it (tests run several instances side by side).
 */
export function defaultSocketPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env['ALLOT_SOCKET']) return env['ALLOT_SOCKET'];
  if (platform === 'win32') return `\\\\.\\pipe\\allot-${userInfo().username}`;
  const runtimeDir = env['XDG_RUNTIME_DIR'] ?? defaultDataDir(platform, env);
  return join(runtimeDir, 'allot', 'admin.sock');
}

/** Bytes this user may still write on the file system holding `dir` (one statfs call); undefined if it cannot be read. */
export function diskFreeBytes(dir: string): number | undefined {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Where desktop builds before the one data directory kept their store: Electron's userData for the
 * product name "Allot". It equals defaultDataDir on Windows and macOS; on Linux it is ~/.config/Allot.
 */
export function legacyDesktopDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32' || platform === 'darwin') return defaultDataDir(platform, { ...env, ALLOT_DATA_DIR: '' });
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'Allot');
}

/** Left in the old directory after a migration, so it happens once and a person can see where the data went. */
export const MIGRATED_MARKER = 'MOVED-TO.txt';

export type MigrationOutcome =
  | { kind: 'none'; reason: string }
  | { kind: 'migrated'; from: string; to: string }
  | { kind: 'failed'; message: string };

/**
 * Move the store of an older location into the one data directory, once: only when `from` has a
 * database and `to` has none. The copy is made by SQLite itself (`VACUUM INTO`, consistent even with
 * a WAL; database files are never copied with fs); the old file stays, next to a note saying where
 * the data went, so nothing is lost if the new one cannot be used.
 */
export function migrateDataDir(from: string, to: string): MigrationOutcome {
  if (from === to) return { kind: 'none', reason: 'same directory' };
  const source = join(from, 'allot.db');
  const target = join(to, 'allot.db');
  if (!existsSync(source)) return { kind: 'none', reason: `no store in ${from}` };
  if (existsSync(join(from, MIGRATED_MARKER))) return { kind: 'none', reason: `${from} was migrated before` };
  if (existsSync(target)) return { kind: 'none', reason: `${to} already has a store; ${from} is left as it is` };
  try {
    mkdirSync(to, { recursive: true, mode: 0o700 });
    const db = openDb({ path: source, readonly: true });
    try {
      db.prepare('VACUUM INTO ?').run(target);
    } finally {
      db.close();
    }
    writeFileSync(
      join(from, MIGRATED_MARKER),
      `Allot's data moved to ${to} on ${new Date().toISOString()} (one directory for the desktop app, \`allot serve\` and the CLI).\n` +
        `allot.db here is the old copy and is no longer used; it may be deleted.\n`,
    );
    return { kind: 'migrated', from, to };
  } catch (error) {
    return { kind: 'failed', message: `could not move ${source} to ${target}: ${(error as Error).message}` };
  }
}
