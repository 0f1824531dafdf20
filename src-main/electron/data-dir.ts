// The desktop app's data directory: the same one `allot serve` and the `allot` CLI use
// (core/paths.ts defaultDataDir), not Electron's userData. A store an older desktop build left in
// userData (on Linux ~/.config/Allot) is moved over once on start. OS API: Electron app.getPath.
import { app } from 'electron';
import { defaultDataDir, migrateDataDir, type MigrationOutcome } from '../core/paths';

export interface DesktopDataDir {
  dataDir: string;
  migration: MigrationOutcome;
}

export function desktopDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): DesktopDataDir {
  const dataDir = defaultDataDir(platform, env);
  const migration = migrateDataDir(app.getPath('userData'), dataDir);
  if (migration.kind === 'migrated') console.error(`[allot] moved the desktop app's data from ${migration.from} to ${migration.to}`);
  if (migration.kind === 'failed') console.error(`[allot] ${migration.message}; starting with the data in ${dataDir}`);
  return { dataDir, migration };
}
