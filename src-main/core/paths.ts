// Where Allot keeps its data and its admin socket, per OS. One place, so the desktop app, `allot
// serve` and the `allot` CLI agree.
import { statfsSync } from 'node:fs';
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
