// The foreground probe: which process owns the focused window, and how long the user has been idle.
// One interface, one variant per OS (foreground.linux.ts: X11 _NET_ACTIVE_WINDOW + _NET_WM_PID and
// MIT-SCREEN-SAVER through libX11/libXss; foreground.win32.ts: GetForegroundWindow +
// GetWindowThreadProcessId and GetLastInputInfo; foreground.darwin.ts: CGWindowListCopyWindowInfo and
// CGEventSourceSecondsSinceLastEventType). Each read() is a few native calls on a connection opened
// once, cheap enough for every tick; no variant ever spawns a process.
//
// read() never throws. What it cannot know it leaves out and says why in `unavailableReason`
// (e.g. Wayland, headless), so classification degrades clearly instead of guessing.
import { errorMessage } from '../../src-shared/errors';

export interface ForegroundReading {
  /** Process owning the focused window. */
  pid?: number;
  /** Time since the last keyboard or mouse input, ms. */
  idleMs?: number;
  /** Why pid (or idleMs) is missing, for a person. */
  unavailableReason?: string;
}

export interface ForegroundProbe {
  /** Short name of the source, e.g. "x11", "win32", "darwin-cgwindow", "none". */
  readonly source: string;
  read(): ForegroundReading;
  close(): void;
}

export interface ForegroundOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/** A probe that always reports the same reason. */
export function unavailableProbe(reason: string): ForegroundProbe {
  return { source: 'none', read: () => ({ unavailableReason: reason }), close: () => {} };
}

/**
 * Pick the probe for this OS, once. Never throws: a failure to load the native libraries becomes a
 * probe that reports the reason.
 */
export async function createForegroundProbe(options: ForegroundOptions = {}): Promise<ForegroundProbe> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  try {
    switch (platform) {
      case 'linux': {
        const { createLinuxForegroundProbe } = await import('./foreground.linux');
        return createLinuxForegroundProbe(env);
      }
      case 'win32': {
        const { createWin32ForegroundProbe, loadWin32ForegroundApi } = await import('./foreground.win32');
        return createWin32ForegroundProbe(await loadWin32ForegroundApi());
      }
      case 'darwin': {
        const { createDarwinForegroundProbe, loadDarwinForegroundApi } = await import('./foreground.darwin');
        return createDarwinForegroundProbe(await loadDarwinForegroundApi());
      }
      default:
        return unavailableProbe(`foreground window detection is not implemented for ${platform}`);
    }
  } catch (error) {
    return unavailableProbe(`foreground window detection could not start: ${errorMessage(error)}`);
  }
}
