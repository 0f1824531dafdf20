// Remembers the main window's size, position and maximized state across runs, in a small JSON file in
// userData (window-state.json; this is UI state, not the database). OS APIs: Electron screen
// (getAllDisplays / getPrimaryDisplay work areas) and BrowserWindow bounds events; node:fs.
// The file is validated on load (zod), and the bounds are clamped to the displays attached NOW, so a
// window last seen on an unplugged monitor comes back on a visible one.
import { app, screen, type BrowserWindow, type Rectangle } from 'electron';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_SIZE = { width: 1200, height: 780 } as const;
export const MIN_SIZE = { width: 720, height: 480 } as const;
/** How much of the window (px per side) must be on a display for the saved position to be kept. */
export const MIN_VISIBLE_PX = 64;
const SAVE_DELAY_MS = 500;

const coordinate = z.number().int().min(-100_000).max(100_000);
const WindowStateSchema = z.strictObject({
  x: coordinate,
  y: coordinate,
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof WindowStateSchema>;

/** What to open the window with: a position only when it is visible on a current display. */
export interface RestoredBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export function defaultStatePath(): string {
  return join(app.getPath('userData'), WINDOW_STATE_FILE);
}

/** Parse the saved state; null when missing, unreadable or invalid. */
export function parseWindowState(text: string): WindowState | null {
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function overlap(a: Rectangle, b: Rectangle): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * Fit saved bounds to the displays' work areas: size shrunk to the largest work area it lands on
 * (or the primary), position kept only when at least MIN_VISIBLE_PX of it is visible both ways on
 * some display, else centered on the primary display.
 */
export function clampToDisplays(state: WindowState, workAreas: readonly Rectangle[], primary: Rectangle): RestoredBounds {
  const visibleOn = workAreas.find((area) => {
    const o = overlap(state, area);
    return o.width >= MIN_VISIBLE_PX && o.height >= MIN_VISIBLE_PX;
  });
  const area = visibleOn ?? primary;
  const width = Math.max(MIN_SIZE.width, Math.min(state.width, area.width));
  const height = Math.max(MIN_SIZE.height, Math.min(state.height, area.height));
  if (!visibleOn) {
    return {
      x: Math.round(primary.x + (primary.width - width) / 2),
      y: Math.round(primary.y + (primary.height - height) / 2),
      width,
      height,
      maximized: state.maximized,
    };
  }
  // Keep it where it was, but pull it fully inside the work area horizontally/vertically when it fits.
  const x = Math.min(Math.max(state.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(state.y, area.y), area.y + area.height - height);
  return { x, y, width, height, maximized: state.maximized };
}

/** Bounds to open the main window with. Never throws: no file or a bad one gives the default size. */
export function restoreWindowBounds(path: string = defaultStatePath()): RestoredBounds {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ...DEFAULT_SIZE, maximized: false };
  }
  const state = parseWindowState(text);
  if (!state) return { ...DEFAULT_SIZE, maximized: false };
  try {
    const displays = screen.getAllDisplays();
    return clampToDisplays(state, displays.map((d) => d.workArea), screen.getPrimaryDisplay().workArea);
  } catch {
    return { width: state.width, height: state.height, maximized: state.maximized };
  }
}

/** Write the state atomically (temp file + rename). Returns false when it could not be written. */
export function saveWindowState(path: string, state: WindowState): boolean {
  const valid = WindowStateSchema.safeParse(state);
  if (!valid.success) return false;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, `${JSON.stringify(valid.data)}\n`);
    renameSync(`${path}.tmp`, path);
    return true;
  } catch {
    return false;
  }
}

type TrackedWindow = Pick<BrowserWindow, 'on' | 'getNormalBounds' | 'isMaximized' | 'isDestroyed' | 'isMinimized'>;

/**
 * Save the window's normal (unmaximized) bounds and maximized flag whenever it is moved, resized,
 * maximized or closed; debounced while dragging. Returns a function that saves immediately.
 */
export function trackWindowBounds(window: TrackedWindow, path: string = defaultStatePath()): () => void {
  let timer: NodeJS.Timeout | undefined;
  const saveNow = () => {
    clearTimeout(timer);
    timer = undefined;
    if (window.isDestroyed() || window.isMinimized()) return;
    const bounds = window.getNormalBounds();
    saveWindowState(path, {
      x: Math.round(bounds.x),
      y: Math.round(bounds.y),
      width: Math.round(bounds.width),
      height: Math.round(bounds.height),
      maximized: window.isMaximized(),
    });
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(saveNow, SAVE_DELAY_MS);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('maximize', saveNow);
  window.on('unmaximize', saveNow);
  window.on('close', saveNow);
  return saveNow;
}
